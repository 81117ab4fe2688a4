#include "host/runs/run_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

class RunStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/rollrig-runstore-XXXXXX";
    dir_ = mkdtemp(path);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

rollrig::v1::RunInfo MakeRun(const std::string& id, int64_t started) {
  rollrig::v1::RunInfo r;
  r.set_id(id);
  r.set_state(rollrig::v1::RUN_STATE_RUNNING);
  r.set_started_unix_ns(started);
  r.mutable_spec()->mutable_profile()->set_text("name: \"x\"");
  r.mutable_progress()->set_cycles_completed(7);
  return r;
}

TEST_F(RunStoreTest, SavesLoadsAndListsNewestFirst) {
  auto store = RunStore::Open(dir_ + "/runs");
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Save(MakeRun("a", 1)).ok());
  ASSERT_TRUE((*store)->Save(MakeRun("b", 2)).ok());
  rollrig::v1::RunInfo a = MakeRun("a", 1);
  a.set_state(rollrig::v1::RUN_STATE_COMPLETED);
  ASSERT_TRUE((*store)->Save(a).ok());  // replaced atomically
  auto loaded = (*store)->Load("a");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state(), rollrig::v1::RUN_STATE_COMPLETED);
  EXPECT_EQ(loaded->progress().cycles_completed(), 7u);
  auto all = (*store)->LoadAll();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id(), "b");
  EXPECT_EQ((*store)->Load("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ((*store)->Load("../etc/passwd").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RunStoreTest, OneRigdPerDirectory) {
  auto first = RunStore::Open(dir_);
  ASSERT_TRUE(first.ok());
  auto second = RunStore::Open(dir_);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use by another rigd"));
  EXPECT_THAT(std::string(second.status().message()), HasSubstr(std::to_string(getpid())));
  first->reset();
  EXPECT_TRUE(RunStore::Open(dir_).ok());
}

TEST_F(RunStoreTest, CyclesSurviveATornLastLine) {
  auto store = RunStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  for (uint32_t c = 1; c <= 3; ++c) {
    rollrig::v1::CycleStats s;
    s.set_cycle(c);
    s.set_peak_torque_nm(0.1 * c);
    ASSERT_TRUE((*store)->AppendCycle("r", s).ok());
  }
  std::ofstream(dir_ + "/r.cycles.jsonl", std::ios::app) << "{\"cycle\": 4, \"peak_tor";
  auto cycles = (*store)->LoadCycles("r");
  ASSERT_TRUE(cycles.ok());
  ASSERT_EQ(cycles->size(), 3u);
  EXPECT_DOUBLE_EQ((*cycles)[2].peak_torque_nm(), 0.30000000000000004);
}

TEST_F(RunStoreTest, UnreadableRunFilesAreNamedAndKept) {
  auto store = RunStore::Open(dir_);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Save(MakeRun("good", 1)).ok());
  std::ofstream(dir_ + "/bad.run.json") << "{ not json";
  std::vector<std::string> problems;
  auto all = (*store)->LoadAll(&problems);
  EXPECT_EQ(all.size(), 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("bad.run.json"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/bad.run.json"));
}

}  // namespace
}  // namespace rollrig::host
