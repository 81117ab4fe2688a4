#include "host/upload/upload_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "host/upload/digests.h"
#include "host/upload/memory_object_store.h"

namespace rollrig::upload {
namespace {

using rollrig::v1::RunInfo;
using rollrig::v1::UploadItem;
using ::testing::HasSubstr;

constexpr int64_t kSecond = 1000000000;

class UploadQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/upload_queue_test.XXXXXX";
    dir_ = mkdtemp(tmpl);
    journal_ = std::make_unique<DirectoryJournal>(dir_ + "/.uploads");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  UploadOptions Options() {
    UploadOptions o;
    o.location = {"lab-bucket", "lab"};
    o.endpoint = "memory://";
    o.runs_dir = dir_;
    o.keep_local = absl::Hours(1);
    o.multipart_threshold = 1000;
    o.part_size = 400;
    o.backoff_initial = absl::Seconds(1);
    o.backoff_max = absl::Seconds(8);
    o.backoff_jitter = 0;
    o.now_unix_ns = [this] { return now_; };
    o.publish = [this](rollrig::v1::RigEvent e) { events_.push_back(e.message()); };
    return o;
  }
  std::unique_ptr<UploadQueue> MakeQueue(UploadOptions o, ObjectStore* store = nullptr,
                                         UploadJournal* journal = nullptr) {
    return std::make_unique<UploadQueue>(store ? store : &store_,
                                         journal ? journal : journal_.get(),
                                         RunsSource{[this] { return runs_; }, nullptr}, o);
  }
  std::unique_ptr<UploadQueue> MakeQueue() { return MakeQueue(Options()); }

  std::string WriteFile(const std::string& name, size_t size, char seed = 'a') {
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>(seed + i * 7 % 26);
    std::ofstream(dir_ + "/" + name, std::ios::binary) << data;
    return data;
  }
  RunInfo& AddRun(const std::string& id, rollrig::v1::RunState state,
                  const std::vector<std::string>& files) {
    RunInfo run;
    run.set_id(id);
    run.set_state(state);
    run.set_device_serial("SIM-A");
    run.set_profile_name("swedish");
    run.set_host_version("0.1.0");
    run.set_started_unix_ns(1700000000 * kSecond);
    for (const std::string& f : files) run.add_recordings(dir_ + "/" + f);
    runs_.push_back(run);
    return runs_.back();
  }
  // Steps until nothing is due at the current time.
  static int Drain(UploadQueue& q) {
    int n = 0;
    while (q.Step() && n < 100) ++n;
    return n;
  }
  static std::optional<UploadItem> Item(const UploadQueue& q, const std::string& file) {
    const rollrig::v1::UploadStatus status = q.Status(true);
    for (const UploadItem& i : status.items()) {
      if (i.file() == file) return i;
    }
    return std::nullopt;
  }
  std::string Object(const std::string& key) {
    auto objects = store_.objects();
    auto it = objects.find(key);
    return it == objects.end() ? "(missing)" : it->second.data;
  }
  bool LocalExists(const std::string& name) { return std::filesystem::exists(dir_ + "/" + name); }

  std::string dir_;
  int64_t now_ = 1700000100 * kSecond;
  std::vector<RunInfo> runs_;
  MemoryObjectStore store_;
  std::unique_ptr<DirectoryJournal> journal_;
  std::vector<std::string> events_;
};

TEST_F(UploadQueueTest, UploadsAClosedFileVerifiedThenTheManifest) {
  const std::string data = WriteFile("r1.mcap", 500);
  AddRun("r1", rollrig::v1::RUN_STATE_COMPLETED, {"r1.mcap"});
  auto q = MakeQueue();
  q->Load();
  EXPECT_EQ(Drain(*q), 2);
  EXPECT_EQ(Object("lab/SIM-A/r1/r1.mcap"), data);
  EXPECT_EQ(store_.calls("Put"), 2);
  EXPECT_EQ(store_.calls("Head"), 2);  // each verified
  std::optional<UploadItem> item = Item(*q, "r1.mcap");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->state(), rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED);
  EXPECT_EQ(item->sha256(), Sha256Hex(data));
  EXPECT_EQ(item->key(), "lab/SIM-A/r1/r1.mcap");
  EXPECT_EQ(item->delete_local_after_unix_ns(), now_ + 3600 * kSecond);
  EXPECT_EQ(store_.objects()["lab/SIM-A/r1/r1.mcap"].metadata["sha256"], Sha256Hex(data));
  const rollrig::v1::UploadStatus status = q->Status(false);
  EXPECT_EQ(status.files_uploaded_total(), 2u);
  EXPECT_EQ(status.files_pending(), 0u);
  EXPECT_EQ(status.items_size(), 0);
  EXPECT_EQ(status.destination(), "s3://lab-bucket/lab at memory://");
  EXPECT_TRUE(q->Problems().empty());
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_THAT(events_[0], HasSubstr("r1.mcap uploaded to s3://lab-bucket/lab/SIM-A/r1/r1.mcap"));
  EXPECT_THAT(events_[1], HasSubstr("manifest uploaded"));
}

TEST_F(UploadQueueTest, ManifestListsTheRunsFilesInOrderWithSizesAndDigests) {
  const std::string a = WriteFile("r1.mcap", 300, 'a');
  const std::string b = WriteFile("r1-0001.mcap", 200, 'b');
  RunInfo& run = AddRun("r1", rollrig::v1::RUN_STATE_ABORTED, {"r1.mcap", "r1-0001.mcap"});
  run.set_state_reason("stopped by alice");
  run.mutable_verdict()->set_reason("stopped by alice");
  auto q = MakeQueue();
  Drain(*q);
  const std::string manifest = Object("lab/SIM-A/r1/manifest.json");
  EXPECT_THAT(manifest, HasSubstr("\"run_id\": \"r1\""));
  EXPECT_THAT(manifest, HasSubstr("\"serial\": \"SIM-A\""));
  EXPECT_THAT(manifest, HasSubstr("\"state\": \"RUN_STATE_ABORTED\""));
  EXPECT_THAT(manifest, HasSubstr("\"state_reason\": \"stopped by alice\""));
  EXPECT_THAT(manifest, HasSubstr("\"profile\": \"swedish\""));
  EXPECT_THAT(manifest, HasSubstr("\"host_version\": \"0.1.0\""));
  EXPECT_THAT(manifest, HasSubstr("\"started\": \"2023-11-14T22:13:20.000Z\""));
  EXPECT_THAT(manifest, HasSubstr("\"verdict\": {\"reason\":\"stopped by alice\"}"));
  const std::string first = absl::StrCat(
      "{\"name\": \"r1.mcap\", \"key\": \"lab/SIM-A/r1/r1.mcap\", "
      "\"size_bytes\": 300, \"sha256\": \"",
      Sha256Hex(a), "\"}");
  const std::string second = absl::StrCat(
      "{\"name\": \"r1-0001.mcap\", \"key\": "
      "\"lab/SIM-A/r1/r1-0001.mcap\", \"size_bytes\": 200, "
      "\"sha256\": \"",
      Sha256Hex(b), "\"}");
  ASSERT_THAT(manifest, HasSubstr(first));
  ASSERT_THAT(manifest, HasSubstr(second));
  EXPECT_LT(manifest.find(first), manifest.find(second));
}

TEST_F(UploadQueueTest, AnActiveRunsClosedFilesGoButNotItsPartFileNorItsManifest) {
  WriteFile("r2.mcap", 100);
  WriteFile("r2-0001.mcap.part", 100);
  AddRun("r2", rollrig::v1::RUN_STATE_RUNNING, {"r2.mcap", "r2-0001.mcap.part"});
  auto q = MakeQueue();
  Drain(*q);
  EXPECT_EQ(store_.objects().size(), 1u);
  EXPECT_EQ(Object("lab/SIM-A/r2/r2.mcap").size(), 100u);
  // The run ends: its last file is renamed, then it and the manifest go.
  std::filesystem::rename(dir_ + "/r2-0001.mcap.part", dir_ + "/r2-0001.mcap");
  runs_[0].set_recordings(1, dir_ + "/r2-0001.mcap");
  runs_[0].set_state(rollrig::v1::RUN_STATE_COMPLETED);
  Drain(*q);
  EXPECT_EQ(store_.objects().size(), 3u);
  EXPECT_THAT(Object("lab/SIM-A/r2/manifest.json"), HasSubstr("r2-0001.mcap"));
}

TEST_F(UploadQueueTest, LargeFilesGoInPartsWithTheMultipartEtag) {
  const std::string data = WriteFile("big.mcap", 2100);
  AddRun("big", rollrig::v1::RUN_STATE_COMPLETED, {"big.mcap"});
  auto q = MakeQueue();
  Drain(*q);
  EXPECT_EQ(store_.calls("CreateMultipart"), 1);
  EXPECT_EQ(store_.calls("UploadPart"), 6);  // 5 x 400 + 100
  EXPECT_EQ(store_.calls("CompleteMultipart"), 1);
  EXPECT_EQ(Object("lab/SIM-A/big/big.mcap"), data);
  EXPECT_THAT(store_.objects()["lab/SIM-A/big/big.mcap"].etag, testing::EndsWith("-6"));
  EXPECT_EQ(Item(*q, "big.mcap")->state(), rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED);
  EXPECT_EQ(Item(*q, "big.mcap")->bytes_sent(), 2100u);
}

TEST_F(UploadQueueTest, AStoreThatCorruptsIsCaughtRetriedAndSurfaced) {
  for (size_t size : {500u, 2100u}) {  // single PUT and multipart
    SCOPED_TRACE(size);
    const std::string name = absl::StrCat("c", size, ".mcap");
    WriteFile(name, size);
    runs_.clear();
    AddRun(absl::StrCat("c", size), rollrig::v1::RUN_STATE_COMPLETED, {name});
    store_.SetCorrupting(true);
    auto q = MakeQueue();
    q->Step();
    std::optional<UploadItem> item = Item(*q, name);
    ASSERT_TRUE(item);
    EXPECT_EQ(item->state(), rollrig::v1::UPLOAD_ITEM_STATE_RETRYING);
    EXPECT_THAT(item->last_error(), HasSubstr("checksum mismatch"));
    EXPECT_EQ(q->Status(false).failures_total(), 1u);
    ASSERT_EQ(q->Problems().size(), 1u);
    EXPECT_THAT(q->Problems()[0], HasSubstr("checksum mismatch"));
    EXPECT_THAT(events_.back(), HasSubstr("checksum mismatch"));
    EXPECT_EQ(store_.open_multipart_uploads(), 0u);
    store_.SetCorrupting(false);
    now_ += 2 * kSecond;
    Drain(*q);
    EXPECT_EQ(Item(*q, name)->state(), rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED);
    EXPECT_TRUE(q->Problems().empty());
  }
}

TEST_F(UploadQueueTest, RetriesBackOffExponentiallyUpToTheCap) {
  WriteFile("r1.mcap", 100);
  AddRun("r1", rollrig::v1::RUN_STATE_COMPLETED, {"r1.mcap"});
  store_.SetDown(true);
  auto q = MakeQueue();
  std::vector<int64_t> waits;
  for (int attempt = 0; attempt < 6; ++attempt) {
    ASSERT_TRUE(q->Step());
    const UploadItem item = *Item(*q, "r1.mcap");
    waits.push_back((item.next_attempt_unix_ns() - now_) / kSecond);
    EXPECT_FALSE(q->Step()) << "nothing is due before the wait is over";
    now_ = item.next_attempt_unix_ns();
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{1, 2, 4, 8, 8, 8}));
  EXPECT_EQ(store_.calls("Put"), 6);
  EXPECT_EQ(q->Status(false).failures_total(), 6u);
  EXPECT_THAT(q->Status(false).last_error(), HasSubstr("unreachable"));
  store_.SetDown(false);
  Drain(*q);
  EXPECT_EQ(Item(*q, "r1.mcap")->state(), rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED);
  EXPECT_EQ(Item(*q, "r1.mcap")->attempts(), 7u);
  EXPECT_TRUE(q->Status(false).last_error().empty());
}

TEST_F(UploadQueueTest, JitterIsSeededAndBounded) {
  WriteFile("r1.mcap", 100);
  AddRun("r1", rollrig::v1::RUN_STATE_COMPLETED, {"r1.mcap"});
  store_.SetDown(true);
  auto waits_with_seed = [&](uint64_t seed) {
    std::vector<int64_t> waits;
    MemoryJournal journal;
    UploadOptions o = Options();
    o.backoff_jitter = 0.2;
    o.backoff_max = absl::Seconds(1000);
    o.jitter_seed = seed;
    const int64_t start = now_;
    auto q = MakeQueue(o, nullptr, &journal);
    for (int i = 0; i < 5; ++i) {
      q->Step();
      const UploadItem item = *Item(*q, "r1.mcap");
      waits.push_back(item.next_attempt_unix_ns() - now_);
      now_ = item.next_attempt_unix_ns();
    }
    now_ = start;
    return waits;
  };
  const std::vector<int64_t> a = waits_with_seed(7), b = waits_with_seed(7);
  EXPECT_EQ(a, b);
  for (size_t i = 0; i < a.size(); ++i) {
    const double nominal = static_cast<double>(int64_t{1} << i) * kSecond;
    EXPECT_GE(a[i], nominal * 0.8 - 1);
    EXPECT_LE(a[i], nominal * 1.2 + 1);
  }
  EXPECT_NE(a, waits_with_seed(8));
}

TEST_F(UploadQueueTest, ARestartMidUploadResumesAndLosesNothing) {
  const std::string data = WriteFile("big.mcap", 2100);
  AddRun("big", rollrig::v1::RUN_STATE_COMPLETED, {"big.mcap"});
  // The journal as a crash in the middle of part 3 would leave it.
  const std::string crashed = dir_ + "/crashed-journal";
  store_.SetOnCall([&](const std::string& call) {
    if (call == "UploadPart" && store_.calls("UploadPart") == 3) {
      std::filesystem::copy(dir_ + "/.uploads", crashed);
    }
  });
  auto q = MakeQueue();
  Drain(*q);
  ASSERT_TRUE(std::filesystem::exists(crashed));
  DirectoryJournal journal(crashed);
  std::vector<std::string> problems;
  std::vector<UploadItem> saved = journal.Load(&problems);
  ASSERT_EQ(saved.size(), 1u);
  EXPECT_EQ(saved[0].state(), rollrig::v1::UPLOAD_ITEM_STATE_UPLOADING);

  MemoryObjectStore fresh;  // the store never saw it complete
  auto restarted = MakeQueue(Options(), &fresh, &journal);
  restarted->Load();
  EXPECT_EQ(Item(*restarted, "big.mcap")->state(), rollrig::v1::UPLOAD_ITEM_STATE_QUEUED);
  Drain(*restarted);
  EXPECT_EQ(fresh.objects()["lab/SIM-A/big/big.mcap"].data, data);
  EXPECT_EQ(Item(*restarted, "big.mcap")->state(), rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED);
  EXPECT_TRUE(fresh.objects().count("lab/SIM-A/big/manifest.json"));
}

TEST_F(UploadQueueTest, ItemsWaitingForADownStoreSurviveARestart) {
  WriteFile("r1.mcap", 100);
  WriteFile("r2.mcap", 100);
  AddRun("r1", rollrig::v1::RUN_STATE_COMPLETED, {"r1.mcap"});
  AddRun("r2", rollrig::v1::RUN_STATE_FAULTED, {"r2.mcap"});
  store_.SetDown(true);
  {
    auto q = MakeQueue();
    q->Load();
    Drain(*q);
    EXPECT_EQ(q->Status(false).files_pending(), 2u);
  }
  runs_.clear();  // even if the runs were not listed again, the queue remembers the files
  store_.SetDown(false);
  auto q = MakeQueue();
  q->Load();
  EXPECT_EQ(q->Status(false).files_pending(), 2u);
  now_ += 10 * kSecond;
  Drain(*q);
  EXPECT_EQ(Object("lab/SIM-A/r1/r1.mcap").size(), 100u);
  EXPECT_EQ(Object("lab/SIM-A/r2/r2.mcap").size(), 100u);
  // And an uploaded file is not sent again after another restart.
  const int puts = store_.calls("Put");
  auto again = MakeQueue();
  again->Load();
  Drain(*again);
  EXPECT_EQ(store_.calls("Put"), puts);
}

TEST_F(UploadQueueTest, ANewPrefixGetsEveryRecordingAgain) {
  WriteFile("r1.mcap", 100);
  AddRun("r1", rollrig::v1::RUN_STATE_COMPLETED, {"r1.mcap"});
  auto q = MakeQueue();
  Drain(*q);
  UploadOptions o = Options();
  o.location.prefix = "lab2";
  auto moved = MakeQueue(o);
  moved->Load();
  Drain(*moved);
  EXPECT_EQ(Object("lab/SIM-A/r1/r1.mcap").size(), 100u);
  EXPECT_EQ(Object("lab2/SIM-A/r1/r1.mcap").size(), 100u);
  EXPECT_EQ(
      Object("lab2/SIM-A/r1/manifest.json").find("lab2/SIM-A/r1/r1.mcap") != std::string::npos,
      true);
}

TEST_F(UploadQueueTest, LocalCopiesGoOnlyAfterVerificationAndTheRetention) {
  WriteFile("r1.mcap", 100);
  AddRun("r1", rollrig::v1::RUN_STATE_COMPLETED, {"r1.mcap"});
  auto q = MakeQueue();
  Drain(*q);
  now_ += 59 * 60 * kSecond;
  Drain(*q);
  EXPECT_TRUE(LocalExists("r1.mcap"));
  now_ += 2 * 60 * kSecond;
  Drain(*q);
  EXPECT_FALSE(LocalExists("r1.mcap"));
  EXPECT_EQ(Object("lab/SIM-A/r1/r1.mcap").size(), 100u);
}

TEST_F(UploadQueueTest, KeepZeroStillNeverDeletesUnverifiedOrActiveRunsFiles) {
  UploadOptions o = Options();
  o.keep_local = absl::ZeroDuration();
  WriteFile("active.mcap", 100);
  WriteFile("bad.mcap", 100);
  WriteFile("stopped.mcap", 100);
  AddRun("active", rollrig::v1::RUN_STATE_RUNNING, {"active.mcap"});
  AddRun("stopped", rollrig::v1::RUN_STATE_INTERRUPTED, {"stopped.mcap"});
  auto q = MakeQueue(o);
  Drain(*q);
  store_.SetCorrupting(true);
  AddRun("bad", rollrig::v1::RUN_STATE_COMPLETED, {"bad.mcap"});
  for (int i = 0; i < 5; ++i) {
    now_ += 60 * kSecond;
    Drain(*q);
  }
  EXPECT_EQ(Item(*q, "active.mcap")->state(), rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED);
  EXPECT_TRUE(LocalExists("active.mcap")) << "its run is still going";
  EXPECT_TRUE(LocalExists("stopped.mcap")) << "an interrupted run may be resumed";
  EXPECT_TRUE(LocalExists("bad.mcap")) << "never verified";
  runs_[0].set_state(rollrig::v1::RUN_STATE_COMPLETED);
  now_ += kSecond;
  store_.SetCorrupting(false);
  Drain(*q);
  now_ += 60 * kSecond;
  Drain(*q);
  EXPECT_FALSE(LocalExists("active.mcap"));
  EXPECT_FALSE(LocalExists("bad.mcap"));
  EXPECT_TRUE(LocalExists("stopped.mcap"));
}

TEST_F(UploadQueueTest, AResumedRunsNewFilesRewriteItsManifest) {
  WriteFile("r1.mcap", 100);
  AddRun("r1", rollrig::v1::RUN_STATE_INTERRUPTED, {"r1.mcap"});
  auto q = MakeQueue();
  Drain(*q);
  EXPECT_THAT(Object("lab/SIM-A/r1/manifest.json"), HasSubstr("RUN_STATE_INTERRUPTED"));
  runs_[0].set_state(rollrig::v1::RUN_STATE_RUNNING);
  WriteFile("r1-r2.mcap", 50);
  runs_[0].add_recordings(dir_ + "/r1-r2.mcap");
  Drain(*q);
  EXPECT_THAT(Object("lab/SIM-A/r1/manifest.json"), testing::Not(HasSubstr("r1-r2.mcap")));
  runs_[0].set_state(rollrig::v1::RUN_STATE_COMPLETED);
  Drain(*q);
  const std::string manifest = Object("lab/SIM-A/r1/manifest.json");
  EXPECT_THAT(manifest, HasSubstr("RUN_STATE_COMPLETED"));
  EXPECT_THAT(manifest, HasSubstr("r1-r2.mcap"));
  EXPECT_EQ(store_.calls("Put"), 4);  // two files, the manifest twice
  Drain(*q);
  EXPECT_EQ(store_.calls("Put"), 4) << "an unchanged manifest is not sent again";
}

TEST_F(UploadQueueTest, WrongCredentialsAndAMissingBucketAreNamed) {
  auto q = MakeQueue();
  store_.SetWrongCredentials(true);
  EXPECT_FALSE(q->CheckStore().ok());
  ASSERT_EQ(q->Problems().size(), 1u);
  EXPECT_THAT(q->Problems()[0], HasSubstr("uploads to s3://lab-bucket/lab at memory:// failing"));
  EXPECT_THAT(q->Problems()[0], HasSubstr("InvalidAccessKeyId"));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_THAT(events_[0], HasSubstr("the store is not usable: "));
  EXPECT_FALSE(q->CheckStore().ok());
  EXPECT_EQ(events_.size(), 1u) << "the same problem again is no news";
  store_.SetWrongCredentials(false);
  store_.SetNoBucket(true);
  EXPECT_FALSE(q->CheckStore().ok());
  EXPECT_THAT(q->Status(false).last_error(), HasSubstr("NoSuchBucket"));
  store_.SetNoBucket(false);
  EXPECT_TRUE(q->CheckStore().ok());
  EXPECT_TRUE(q->Problems().empty());
}

TEST_F(UploadQueueTest, AFullSpoolIsSurfacedAndUploadsGoOn) {
  MemoryJournal journal;
  journal.fail_with = absl::ResourceExhaustedError(
      "upload queue: cannot write /runs/.uploads/r1--r1.mcap.json.tmp: No space left on device");
  WriteFile("r1.mcap", 100);
  AddRun("r1", rollrig::v1::RUN_STATE_COMPLETED, {"r1.mcap"});
  auto q = MakeQueue(Options(), nullptr, &journal);
  Drain(*q);
  EXPECT_EQ(Object("lab/SIM-A/r1/r1.mcap").size(), 100u);
  ASSERT_EQ(q->Problems().size(), 1u);
  EXPECT_THAT(q->Problems()[0], HasSubstr("No space left on device"));
  journal.fail_with = absl::OkStatus();
  WriteFile("r2.mcap", 100);
  AddRun("r2", rollrig::v1::RUN_STATE_COMPLETED, {"r2.mcap"});
  Drain(*q);
  EXPECT_TRUE(q->Problems().empty());
}

TEST_F(UploadQueueTest, AFileGoneBeforeItsUploadFailsForGood) {
  WriteFile("r1.mcap", 100);
  AddRun("r1", rollrig::v1::RUN_STATE_COMPLETED, {"r1.mcap"});
  store_.SetDown(true);
  auto q = MakeQueue();
  q->Step();
  std::filesystem::remove(dir_ + "/r1.mcap");
  store_.SetDown(false);
  now_ += 10 * kSecond;
  Drain(*q);
  EXPECT_EQ(Item(*q, "r1.mcap")->state(), rollrig::v1::UPLOAD_ITEM_STATE_FAILED);
  EXPECT_THAT(Item(*q, "r1.mcap")->last_error(), HasSubstr("is gone"));
  EXPECT_EQ(q->Status(false).files_pending(), 0u);
}

TEST_F(UploadQueueTest, TheListShowsEveryWaitingItemAndOnlyTheNewestDoneOnes) {
  // Months of hourly files: the journal holds them all, the list only the newest done.
  MemoryJournal journal;
  const size_t done = UploadQueue::kMaxDoneItemsListed + 50;
  for (size_t i = 0; i < done + 3; ++i) {
    UploadItem item;
    item.set_run_id("run-" + std::to_string(i / 72));
    item.set_file("f" + std::to_string(i) + ".mcap");
    item.set_key("lab/SIM-A/" + item.run_id() + "/" + item.file());
    item.set_size_bytes(10);
    item.set_queued_unix_ns(static_cast<int64_t>(i) * kSecond);
    item.set_state(i < done ? rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED
                            : rollrig::v1::UPLOAD_ITEM_STATE_QUEUED);
    ASSERT_TRUE(journal.Save(item).ok());
  }
  auto q = MakeQueue(Options(), nullptr, &journal);
  q->Load();
  const rollrig::v1::UploadStatus status = q->Status(true);
  EXPECT_EQ(status.files_uploaded_total(), done);
  EXPECT_EQ(status.files_pending(), 3u);
  ASSERT_EQ(static_cast<size_t>(status.items_size()), UploadQueue::kMaxDoneItemsListed + 3);
  EXPECT_EQ(status.items(0).file(), "f50.mcap") << "the oldest done ones are left out";
  EXPECT_EQ(status.items(status.items_size() - 1).file(), "f" + std::to_string(done + 2) + ".mcap");
  EXPECT_EQ(q->Status(false).items_size(), 0);
}

}  // namespace
}  // namespace rollrig::upload
