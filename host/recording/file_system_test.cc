// The file seam: the POSIX file system in a temporary directory, the in-memory one, and
// the faults injected around them.
#include "host/recording/file_system.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "host/recording/fault_injecting_file_system.h"
#include "host/recording/memory_file_system.h"

namespace rollrig::recording {
namespace {

using ::testing::HasSubstr;

std::string ReadAll(FileSystem* fs, const std::string& path) {
  auto file = fs->OpenForRead(path);
  if (!file.ok()) return "<" + std::string(file.status().message()) + ">";
  std::string out((*file)->size(), '\0');
  auto got = (*file)->Read(0, reinterpret_cast<uint8_t*>(out.data()), out.size());
  out.resize(got.ok() ? *got : 0);
  return out;
}

absl::Status Append(WritableFile* file, const std::string& s) {
  return file->Append(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rollrig_fs_XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void ExerciseFileSystem(FileSystem* fs, const std::string& dir) {
  const std::string part = dir + "/a.mcap.part";
  const std::string final_path = dir + "/a.mcap";
  auto file = fs->NewWritableFile(part);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_TRUE(Append(file->get(), "hello ").ok());
  ASSERT_TRUE(Append(file->get(), "world").ok());
  EXPECT_EQ((*file)->size(), 11u);
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(ReadAll(fs, part), "hello world");

  auto reopened = fs->ReopenTruncated(part, 5);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->size(), 5u);
  ASSERT_TRUE(Append(reopened->get(), "!").ok());
  ASSERT_TRUE((*reopened)->Close().ok());
  EXPECT_EQ(ReadAll(fs, part), "hello!");

  auto random = fs->OpenForRead(part);
  ASSERT_TRUE(random.ok());
  uint8_t buf[10];
  auto got = (*random)->Read(3, buf, 10);  // fewer at the end
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 3u);
  random->reset();

  ASSERT_TRUE(fs->Rename(part, final_path).ok());
  EXPECT_FALSE(fs->Exists(part));
  EXPECT_TRUE(fs->Exists(final_path));
  EXPECT_TRUE(fs->SyncDir(dir).ok());
  auto free = fs->FreeBytes(dir);
  ASSERT_TRUE(free.ok());
  EXPECT_GT(*free, 0u);

  auto missing = fs->OpenForRead(dir + "/missing.mcap");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr(dir + "/missing.mcap"));
}

TEST(FileSystemTest, PosixFileSystemWorksAndNamesPathsInErrors) {
  TempDir dir;
  ExerciseFileSystem(RealFileSystem(), dir.path());
  auto bad = RealFileSystem()->NewWritableFile(dir.path() + "/no/such/dir/x");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("No such file or directory"));
  // Reopening never extends a file.
  auto file = RealFileSystem()->NewWritableFile(dir.path() + "/short");
  ASSERT_TRUE(Append(file->get(), "abc").ok());
  ASSERT_TRUE((*file)->Close().ok());
  auto reopened = RealFileSystem()->ReopenTruncated(dir.path() + "/short", 100);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ((*reopened)->size(), 3u);
}

TEST(FileSystemTest, MemoryFileSystemBehavesLikeThePosixOne) {
  MemoryFileSystem fs;
  ExerciseFileSystem(&fs, "/runs");
}

TEST(FaultInjectingFileSystemTest, DiskFullFailsWritesNamingThePath) {
  MemoryFileSystem memory;
  FaultInjectingFileSystem fs(&memory);
  fs.SetWriteBudget(8);
  auto file = fs.NewWritableFile("/runs/a.mcap.part");
  ASSERT_TRUE(Append(file->get(), "12345").ok());
  absl::Status full = Append(file->get(), "67890");
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(full.message(), "no space left on device writing /runs/a.mcap.part");
  EXPECT_EQ(*memory.Contents("/runs/a.mcap.part"), "12345678");  // what fit was written
  EXPECT_EQ(*fs.FreeBytes("/runs"), 0u);
  fs.SetWriteBudget(std::nullopt);
  EXPECT_TRUE(Append(file->get(), "9").ok());
}

TEST(FaultInjectingFileSystemTest, SyncFailuresAndCrashesKeepOnlySyncedBytes) {
  MemoryFileSystem memory;
  FaultInjectingFileSystem fs(&memory);
  auto file = fs.NewWritableFile("/a");
  ASSERT_TRUE(Append(file->get(), "durable").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE(Append(file->get(), " lost").ok());
  fs.SetSyncFails(true);
  absl::Status sync = (*file)->Sync();
  EXPECT_FALSE(sync.ok());
  EXPECT_THAT(std::string(sync.message()), HasSubstr("/a"));
  EXPECT_FALSE(fs.SyncDir("/").ok());
  fs.SetSyncFails(false);
  ASSERT_TRUE(fs.CrashKeepingSyncedBytes().ok());
  EXPECT_EQ(*memory.Contents("/a"), "durable");
  ASSERT_TRUE(fs.CrashKeepingPrefix("/a", 3).ok());
  EXPECT_EQ(*memory.Contents("/a"), "dur");
}

TEST(FaultInjectingFileSystemTest, ATransientSyncErrorFailsOnlyTheNextSyncs) {
  MemoryFileSystem memory;
  FaultInjectingFileSystem fs(&memory);
  auto file = fs.NewWritableFile("/runs/a");
  ASSERT_TRUE(Append(file->get(), "data").ok());
  fs.FailNextSyncs(2);
  EXPECT_TRUE(fs.SyncDir("/runs").ok());  // directories are not counted
  for (int i = 0; i < 2; ++i) {
    absl::Status sync = (*file)->Sync();
    EXPECT_EQ(sync.code(), absl::StatusCode::kDataLoss);
    EXPECT_EQ(sync.message(), "syncing /runs/a: Input/output error");
  }
  EXPECT_TRUE((*file)->Sync().ok());
  EXPECT_EQ(memory.SyncedBytes("/runs/a"), 4u);
}

}  // namespace
}  // namespace rollrig::recording
