// rigctl's JSON: `runs show ID --json` is one document (the run with its cycles), which a
// script parses whole; 64-bit integers keep every digit on the way through.
#include "host/rigctl/json_text.h"

#include <gtest/gtest.h>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host::rigctl {
namespace {

google::protobuf::Struct Parsed(const std::string& json) {
  google::protobuf::Struct doc;
  const auto status = google::protobuf::util::JsonStringToMessage(json, &doc);
  EXPECT_TRUE(status.ok()) << status << "\n" << json;
  return doc;
}

TEST(MessageJsonWithList, IsOneDocumentOfTheMessageAndTheList) {
  rollrig::v1::RunInfo run;
  run.set_id("run-42");
  run.set_started_unix_ns(1'790'000'000'123'456'789);  // beyond a double's 53 bits
  rollrig::v1::GetCyclesResponse cycles;
  cycles.add_cycles()->set_cycle(1);
  cycles.add_cycles()->set_cycle(2);
  const google::protobuf::Struct doc = Parsed(MessageJsonWithList(run, "cycles", cycles));
  const auto& f = doc.fields();
  EXPECT_EQ(f.at("id").string_value(), "run-42");
  EXPECT_EQ(f.at("started_unix_ns").string_value(), "1790000000123456789");
  ASSERT_EQ(f.at("cycles").list_value().values_size(), 2);
  EXPECT_EQ(
      f.at("cycles").list_value().values(1).struct_value().fields().at("cycle").number_value(), 2);
}

TEST(MessageJsonWithList, AnEmptyListIsAnEmptyArray) {
  rollrig::v1::RunInfo run;
  run.set_id("run-1");
  const google::protobuf::Struct doc =
      Parsed(MessageJsonWithList(run, "cycles", rollrig::v1::GetCyclesResponse()));
  ASSERT_TRUE(doc.fields().at("cycles").has_list_value());
  EXPECT_EQ(doc.fields().at("cycles").list_value().values_size(), 0);
}

}  // namespace
}  // namespace rollrig::host::rigctl
