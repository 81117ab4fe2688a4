#include "host/client/rig_list.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rollrig::client {
namespace {

using ::testing::HasSubstr;

constexpr char kTwoRigs[] = R"([
  {"targets": ["10.0.0.1:9101"], "labels": {"rig": "A", "grpc": "10.0.0.1:50051"}},
  {"targets": ["rig-b.lab:9101"], "labels": {"rig": "B", "grpc": "rig-b.lab:50051",
                                               "site": "bench 2"}}
])";

TEST(RigList, ReadsNamesAddressesAndTargets) {
  auto rigs = ParseRigList(kTwoRigs, "rigs.json");
  ASSERT_TRUE(rigs.ok()) << rigs.status();
  ASSERT_EQ(rigs->size(), 2u);
  EXPECT_EQ((*rigs)[0].name, "A");
  EXPECT_EQ((*rigs)[0].grpc_addr, "10.0.0.1:50051");
  EXPECT_EQ((*rigs)[0].metrics_target, "10.0.0.1:9101");
  EXPECT_EQ((*rigs)[1].name, "B");
  EXPECT_EQ((*rigs)[1].grpc_addr, "rig-b.lab:50051");
  EXPECT_EQ((*rigs)[1].labels.at("site"), "bench 2");
}

TEST(RigList, KeepsTheListsOrder) {
  auto rigs = ParseRigList(
      R"([{"targets":["h:1"],"labels":{"rig":"Z","grpc":"h:2"}},
          {"targets":["h:3"],"labels":{"rig":"A","grpc":"h:4"}}])",
      "x");
  ASSERT_TRUE(rigs.ok()) << rigs.status();
  EXPECT_EQ((*rigs)[0].name, "Z");
  EXPECT_EQ((*rigs)[1].name, "A");
}

struct BadCase {
  const char* what;
  const char* json;
  std::vector<const char*> says;  // every one must be in the error
};

class RigListBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(RigListBad, IsRefusedNamingTheProblem) {
  auto rigs = ParseRigList(GetParam().json, "rigs.json");
  ASSERT_FALSE(rigs.ok()) << GetParam().what;
  EXPECT_EQ(rigs.status().code(), absl::StatusCode::kInvalidArgument);
  for (const char* s : GetParam().says) {
    EXPECT_THAT(std::string(rigs.status().message()), HasSubstr(s)) << GetParam().what;
  }
  EXPECT_THAT(std::string(rigs.status().message()), HasSubstr("rigs.json"));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RigListBad,
    ::testing::Values(
        BadCase{"not JSON", "[{", {"not valid JSON"}},
        BadCase{"an object", R"({"targets": ["h:1"]})", {"not a JSON list"}},
        BadCase{"empty", "[]", {"lists no rigs"}},
        BadCase{"entry not an object", R"(["h:1"])", {"entry 1", "not an object"}},
        BadCase{"no labels", R"([{"targets": ["h:1"]}])", {"entry 1", "no \"labels\""}},
        BadCase{"no rig label",
                R"([{"targets": ["h:1"], "labels": {"grpc": "h:2"}}])",
                {"entry 1", "no \"rig\" label"}},
        BadCase{"empty rig label",
                R"([{"targets": ["h:1"], "labels": {"rig": "", "grpc": "h:2"}}])",
                {"entry 1", "no \"rig\" label"}},
        BadCase{"no grpc label",
                R"([{"targets":["h:1"],"labels":{"rig":"A","grpc":"h:2"}},
                    {"targets":["h:3"],"labels":{"rig":"B"}}])",
                {"entry 2", "rig 'B'", "no \"grpc\" label"}},
        BadCase{"label not a string",
                R"([{"targets": ["h:1"], "labels": {"rig": 7, "grpc": "h:2"}}])",
                {"entry 1", "label \"rig\" is not a string"}},
        BadCase{"duplicate rig",
                R"([{"targets":["h:1"],"labels":{"rig":"A","grpc":"h:2"}},
                    {"targets":["h:3"],"labels":{"rig":"A","grpc":"h:4"}}])",
                {"entry 2", "'A'", "already used"}},
        BadCase{"grpc not host:port",
                R"([{"targets": ["h:1"], "labels": {"rig": "A", "grpc": "h"}}])",
                {"rig 'A'", "label grpc", "not HOST:PORT"}},
        BadCase{"grpc port out of range",
                R"([{"targets": ["h:1"], "labels": {"rig": "A", "grpc": "h:70000"}}])",
                {"rig 'A'", "not HOST:PORT"}},
        BadCase{"no targets",
                R"([{"labels": {"rig": "A", "grpc": "h:2"}}])",
                {"rig 'A'", "no \"targets\""}},
        BadCase{"two targets",
                R"([{"targets": ["h:1", "h:3"], "labels": {"rig": "A", "grpc": "h:2"}}])",
                {"rig 'A'", "exactly one"}},
        BadCase{"target not host:port",
                R"([{"targets": ["h"], "labels": {"rig": "A", "grpc": "h:2"}}])",
                {"rig 'A'", "target", "not HOST:PORT"}}),
    [](const auto& test_case) {
      std::string name = test_case.param.what;
      for (char& c : name) {
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

TEST(RigList, AMissingFileIsNamed) {
  auto rigs = ReadRigList("/nonexistent/rigs.json");
  ASSERT_FALSE(rigs.ok());
  EXPECT_THAT(std::string(rigs.status().message()), HasSubstr("/nonexistent/rigs.json"));
}

}  // namespace
}  // namespace rollrig::client
