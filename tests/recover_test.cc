// `rigctl recover` and rigd's start-up finalizing on damaged recordings, as users meet them:
// a fixture with one damaged chunk is rewritten without it (exit 0, the chunk named, the
// original kept as .damaged); a fixture whose chunks are all damaged is refused (exit 1, a
// message, the file untouched); an intact one is validated and left as it is; and rigd,
// started over a runs directory holding damaged and torn .part files, salvages them the same
// way before it serves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "host/recording/file_system.h"
#include "host/recording/mcap_validation.h"
#include "tests/test_process.h"

namespace rollrig {
namespace {

using ::testing::HasSubstr;

const std::string kFixture = std::string(ROLLRIG_SOURCE_DIR) + "/fixtures/swedish.mcap";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// Offsets of the Chunk records, walking the top-level records.
std::vector<size_t> Chunks(const std::string& bytes) {
  std::vector<size_t> found;
  size_t pos = 8;
  while (pos + 9 <= bytes.size()) {
    uint64_t length;
    std::memcpy(&length, bytes.data() + pos + 1, 8);
    if (length > bytes.size() - pos - 9) break;
    if (bytes[pos] == 0x06) found.push_back(pos);
    pos += 9 + length;
  }
  return found;
}

// `bytes` with 16 bytes in the middle of the chunk at `offset` scrambled.
std::string DamageChunk(std::string bytes, size_t offset) {
  uint64_t length;
  std::memcpy(&length, bytes.data() + offset + 1, 8);
  for (size_t k = 0; k < 16; ++k) bytes[offset + 9 + length / 2 + k] ^= 0x5A;
  return bytes;
}

::testing::AssertionResult Valid(const std::string& path) {
  auto file = recording::RealFileSystem()->OpenForRead(path);
  if (!file.ok()) return ::testing::AssertionFailure() << file.status();
  auto check = recording::ValidateMcap(file->get());
  if (!check.ok()) return ::testing::AssertionFailure() << check.status();
  if (!check->valid()) return ::testing::AssertionFailure() << check->ProblemsText();
  return ::testing::AssertionSuccess();
}

class RecoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rollrig-recover-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fixture_ = ReadFile(kFixture);
    chunks_ = Chunks(fixture_);
    ASSERT_GE(chunks_.size(), 4u);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_, fixture_;
  std::vector<size_t> chunks_;
};

TEST_F(RecoverTest, RigctlRecoverRewritesADamagedFileWithoutItsBadChunk) {
  const std::string path = dir_ + "/damaged.mcap";
  const std::string damaged = DamageChunk(fixture_, chunks_[2]);
  WriteFile(path, damaged);
  testing::CommandResult r = testing::RunCommand(RIGCTL_PATH, {"recover", path});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("dropped the chunk at byte " + std::to_string(chunks_[2])));
  EXPECT_THAT(r.output, HasSubstr("messages lost"));
  EXPECT_THAT(r.output, HasSubstr("the result passed validation"));
  EXPECT_THAT(r.output, HasSubstr("kept as " + path + ".damaged"));
  EXPECT_TRUE(Valid(path));
  EXPECT_EQ(ReadFile(path + ".damaged"), damaged);
  // Recovering the result again finds nothing to do.
  r = testing::RunCommand(RIGCTL_PATH, {"recover", path});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("already complete (validated"));
}

TEST_F(RecoverTest, RigctlRecoverRefusesAFileWithNothingToSalvage) {
  const std::string path = dir_ + "/ruined.mcap";
  std::string damaged = fixture_;
  for (size_t chunk : chunks_) damaged = DamageChunk(std::move(damaged), chunk);
  WriteFile(path, damaged);
  const testing::CommandResult r = testing::RunCommand(RIGCTL_PATH, {"recover", path});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("nothing can be salvaged: all " + std::to_string(chunks_.size()) +
                                  " chunks are damaged"));
  EXPECT_EQ(ReadFile(path), damaged);
  EXPECT_FALSE(std::filesystem::exists(path + ".damaged"));
}

TEST_F(RecoverTest, RigctlRecoverLeavesAnIntactFileUntouched) {
  const std::string path = dir_ + "/intact.mcap";
  WriteFile(path, fixture_);
  const testing::CommandResult r = testing::RunCommand(RIGCTL_PATH, {"recover", path});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("already complete (validated"));
  EXPECT_EQ(ReadFile(path), fixture_);
  EXPECT_FALSE(std::filesystem::exists(path + ".damaged"));
}

TEST_F(RecoverTest, RigdSalvagesDamagedPartFilesAtStart) {
  const std::string runs = dir_ + "/runs";
  std::filesystem::create_directories(runs);
  // A .part with a chunk damaged before its end, and one torn mid-chunk by a crash.
  WriteFile(runs + "/damaged.mcap.part", DamageChunk(fixture_, chunks_[1]));
  WriteFile(runs + "/torn.mcap.part", fixture_.substr(0, chunks_[3] + 300));

  const std::string addr = "127.0.0.1:" + std::to_string(testing::FreePort());
  testing::ChildProcess rigd(RIGD_PATH, {"--device", "sim", "--listen", addr, "--runs-dir", runs});
  bool up = false;
  for (int i = 0; i < 150 && rigd.running() && !up; ++i) {
    up = testing::RunCommand(RIGCTL_PATH, {"--addr", addr, "status"}, 10).exit_code == 0;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(up) << rigd.Output();
  rigd.Signal(SIGTERM);
  rigd.Wait(20);
  const std::string log = rigd.Output();

  EXPECT_FALSE(std::filesystem::exists(runs + "/damaged.mcap.part")) << log;
  EXPECT_TRUE(Valid(runs + "/damaged.mcap")) << log;
  EXPECT_TRUE(std::filesystem::exists(runs + "/damaged.mcap.damaged")) << log;
  EXPECT_THAT(log, HasSubstr("dropped the chunk at byte " + std::to_string(chunks_[1])));

  EXPECT_FALSE(std::filesystem::exists(runs + "/torn.mcap.part")) << log;
  EXPECT_TRUE(Valid(runs + "/torn.mcap")) << log;
  EXPECT_FALSE(std::filesystem::exists(runs + "/torn.mcap.damaged")) << log;
}

}  // namespace
}  // namespace rollrig
