// Uploads against a real S3-compatible server (npm's s3rver, pinned in tests/s3rver),
// checked with an independent client (Debian's s3cmd) and @mcap/core: a run's recording
// and manifest uploaded by rigd; the store killed in the middle of a multipart upload and
// started again, the upload then completing verified; wrong credentials and a missing
// bucket named in the status.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/upload/curl_object_store.h"
#include "host/upload/upload_journal.h"
#include "host/upload/upload_service.h"
#include "tests/rig_stack.h"
#include "tests/short_profile.h"
#include "tests/test_process.h"

namespace rollrig::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kBucket[] = "rollrig";

bool PortOpen(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool open = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return open;
}

template <typename Pred>
bool WaitUntil(Pred pred, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The program's path on PATH (RunCommand does not search it); the name if not found.
std::string Which(const std::string& program) {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin", ':')) {
    const std::string candidate = absl::StrCat(dir, "/", program);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return program;
}

// s3rver on a free loopback port with a bucket `rollrig`, its objects in `dir`.
class S3Server {
 public:
  explicit S3Server(std::string dir) : dir_(std::move(dir)), port_(FreePort()) {}
  ~S3Server() { Stop(); }

  ::testing::AssertionResult Start() {
    if (!std::filesystem::exists(S3RVER_PATH)) {
      return ::testing::AssertionFailure()
             << S3RVER_PATH << " is missing: ci/setup.sh installs tests/s3rver (npm ci)";
    }
    process_ = std::make_unique<ChildProcess>(
        S3RVER_PATH,
        std::vector<std::string>{"--directory", dir_, "--port", std::to_string(port_), "--address",
                                 "127.0.0.1", "--configure-bucket", kBucket});
    if (WaitUntil([&] { return PortOpen(port_); }, 20)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "s3rver did not start: " << process_->Output();
  }
  void Stop() {
    if (process_) process_->Stop(2);
    process_.reset();
  }
  std::string endpoint() const { return absl::StrCat("http://127.0.0.1:", port_); }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<ChildProcess> process_;
};

class UploadE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    std::filesystem::create_directories(dir_ + "/s3");
    s3_ = std::make_unique<S3Server>(dir_ + "/s3");
    ASSERT_TRUE(s3_->Start());
    std::ofstream(dir_ + "/s3cfg") << "[default]\naccess_key = S3RVER\nsecret_key = S3RVER\n"
                                   << "host_base = 127.0.0.1:" << s3_->port() << "\n"
                                   << "host_bucket = 127.0.0.1:" << s3_->port() << "\n"
                                   << "use_https = False\nsignature_v2 = False\n";
  }
  void TearDown() override {
    s3_.reset();
    RemoveTree(dir_);
  }

  host::RigdUploadConfig Upload(const std::string& bucket = kBucket) {
    host::RigdUploadConfig u;
    u.location = {bucket, "lab"};
    u.endpoint = s3_->endpoint();
    u.credentials.access_key_id = "S3RVER";
    u.credentials.secret_access_key = "S3RVER";
    u.backoff_max = absl::Seconds(2);
    u.poll_period = absl::Milliseconds(200);
    return u;
  }

  CommandResult S3cmd(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"-c", dir_ + "/s3cfg"};
    all.insert(all.end(), args.begin(), args.end());
    return RunCommand(Which("s3cmd"), all, 60);
  }
  // Downloads s3://rollrig/KEY with s3cmd; "" if that fails.
  std::string S3cmdGet(const std::string& key) {
    const std::string to = dir_ + "/download";
    std::filesystem::remove(to);
    CommandResult r = S3cmd({"get", absl::StrCat("s3://", kBucket, "/", key), to});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.exit_code == 0 ? ReadFile(to) : "";
  }

  std::string dir_;
  std::unique_ptr<S3Server> s3_;
};

// rigd uploads a finished run's recording and manifest; s3cmd lists and fetches them, the
// file is the local one byte for byte and @mcap/core reads it.
TEST_F(UploadE2eTest, RigdUploadsARunsRecordingAndManifest) {
  RigStack rig("sim", absl::Seconds(10), 4.0, "", false, absl::Hours(1),
               [&](host::RigdConfig& c) { c.upload = Upload(); });
  ASSERT_TRUE(rig.connected().ok());
  absl::StatusOr<rollrig::v1::RunInfo> run = rig.StartRun(ShortRunRequest(1));
  ASSERT_TRUE(run.ok()) << run.status();
  const std::string id = run->id();
  ASSERT_TRUE(WaitUntil(
      [&] {
        const rollrig::v1::UploadStatus s = rig.Status().uploads();
        return s.files_uploaded_total() == 2 && s.files_pending() == 0;
      },
      25))
      << rig.Status().uploads().DebugString();
  const rollrig::v1::RunInfo ended = rig.GetRun(id);
  ASSERT_EQ(ended.recordings_size(), 1);
  const std::string name = std::filesystem::path(ended.recordings(0)).filename();
  const std::string serial = ended.device_serial();
  const std::string prefix = absl::StrCat("lab/", serial, "/", id, "/");

  CommandResult ls = S3cmd({"ls", "-r", absl::StrCat("s3://", kBucket, "/lab/")});
  ASSERT_EQ(ls.exit_code, 0) << ls.output;
  EXPECT_THAT(ls.output, HasSubstr(absl::StrCat("s3://rollrig/", prefix, name)));
  EXPECT_THAT(ls.output, HasSubstr(absl::StrCat("s3://rollrig/", prefix, "manifest.json")));

  const std::string local = ReadFile(rig.RecordingPath(name));
  ASSERT_FALSE(local.empty());
  EXPECT_TRUE(S3cmdGet(prefix + name) == local) << "the uploaded recording differs";
  CommandResult check = RunCommand(
      Which("node"), {absl::StrCat(MCAPCHECK_DIR, "/check.mjs"), dir_ + "/download"}, 60);
  EXPECT_EQ(check.exit_code, 0) << check.output.substr(0, 500);
  EXPECT_THAT(check.output, HasSubstr("\"problems\":[]"));

  const std::string manifest = S3cmdGet(prefix + "manifest.json");
  EXPECT_THAT(manifest, HasSubstr(absl::StrCat("\"run_id\": \"", id, "\"")));
  EXPECT_THAT(manifest, HasSubstr(absl::StrCat("\"key\": \"", prefix, name, "\"")));
  EXPECT_THAT(manifest, HasSubstr(absl::StrCat("\"size_bytes\": ", local.size())));

  // The queue as rigctl uploads shows it.
  grpc::ClientContext ctx;
  rollrig::v1::UploadStatus uploads;
  ASSERT_TRUE(rig.stub()->GetUploads(&ctx, rollrig::v1::GetUploadsRequest(), &uploads).ok());
  ASSERT_EQ(uploads.items_size(), 2);
  EXPECT_EQ(uploads.items(0).file(), name);
  EXPECT_EQ(uploads.items(0).state(), rollrig::v1::UPLOAD_ITEM_STATE_UPLOADED);
  EXPECT_EQ(uploads.items(0).size_bytes(), local.size());
  EXPECT_GT(uploads.items(0).delete_local_after_unix_ns(), uploads.items(0).uploaded_unix_ns());
  EXPECT_TRUE(rig.Status().lab_problems().empty());
}

// A large file goes up in parts at a capped rate; the store is killed when part of it is
// sent and started again a moment later: the upload starts over, completes and is
// verified, and the object is the file.
TEST_F(UploadE2eTest, TheStoreCutMidMultipartUploadAndBackTheUploadCompletes) {
  const std::string runs = dir_ + "/runs";
  std::filesystem::create_directories(runs);
  std::string data(15u << 20, '\0');
  std::mt19937_64 random(5);
  for (size_t i = 0; i < data.size(); i += 8) {
    const uint64_t v = random();
    memcpy(&data[i], &v, 8);
  }
  std::ofstream(runs + "/big.mcap", std::ios::binary) << data;
  rollrig::v1::RunInfo run;
  run.set_id("big");
  run.set_state(rollrig::v1::RUN_STATE_COMPLETED);
  run.set_device_serial("SIM-A");
  run.add_recordings(runs + "/big.mcap");

  upload::CurlStoreOptions store;
  store.endpoint = s3_->endpoint();
  store.bucket = kBucket;
  store.credentials.access_key_id = "S3RVER";
  store.credentials.secret_access_key = "S3RVER";
  store.max_send_bytes_per_s = 12u << 20;  // about 2 s for the file
  upload::UploadOptions options;
  options.location = {kBucket, "lab"};
  options.endpoint = s3_->endpoint();
  options.runs_dir = runs;
  options.multipart_threshold = 5u << 20;
  options.part_size = 5u << 20;
  options.backoff_initial = absl::Milliseconds(500);
  options.backoff_max = absl::Seconds(1);
  std::vector<std::string> events;
  std::mutex events_mu;
  options.publish = [&](rollrig::v1::RigEvent e) {
    std::lock_guard<std::mutex> lock(events_mu);
    events.push_back(e.message());
  };
  upload::UploadService service(std::make_unique<upload::CurlObjectStore>(store),
                                std::make_unique<upload::DirectoryJournal>(runs + "/.uploads"),
                                upload::RunsSource{[&] { return std::vector{run}; }, nullptr},
                                options, absl::Milliseconds(100));
  service.Start();
  auto item = [&]() -> rollrig::v1::UploadItem {
    const rollrig::v1::UploadStatus s = service.Status(true);
    for (const auto& i : s.items()) {
      if (i.file() == "big.mcap") return i;
    }
    return {};
  };
  ASSERT_TRUE(WaitUntil(
      [&] {
        const rollrig::v1::UploadItem i = item();
        return i.state() == rollrig::v1::UPLOAD_ITEM_STATE_UPLOADING &&
               i.bytes_sent() >= (5u << 20);
      },
      20))
      << item().DebugString();
  s3_->Stop();  // mid-upload: at least one part sent, more to go
  ASSERT_TRUE(
      WaitUntil([&] { return item().state() == rollrig::v1::UPLOAD_ITEM_STATE_RETRYING; }, 15))
      << item().DebugString();
  EXPECT_THAT(item().last_error(), HasSubstr(s3_->endpoint()));
  EXPECT_FALSE(service.Problems().empty());
  ASSERT_TRUE(s3_->Start());
  ASSERT_TRUE(WaitUntil(
      [&] {
        const rollrig::v1::UploadStatus s = service.Status(false);
        return s.files_uploaded_total() == 2 && s.files_pending() == 0;  // file and manifest
      },
      25))
      << item().DebugString();
  service.Stop();
  EXPECT_GE(item().attempts(), 2u);
  EXPECT_TRUE(service.Problems().empty());
  EXPECT_TRUE(S3cmdGet("lab/SIM-A/big/big.mcap") == data) << "the object differs from the file";
  EXPECT_THAT(S3cmdGet("lab/SIM-A/big/manifest.json"), HasSubstr("\"size_bytes\": 15728640"));
  std::lock_guard<std::mutex> lock(events_mu);
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const std::string& e) {
    return absl::StrContains(e, "upload of big.mcap failed");
  }));
}

// Wrong credentials and a bucket that is not there: rigd runs on, and says so.
TEST_F(UploadE2eTest, WrongCredentialsAndAMissingBucketAreNamedInTheStatus) {
  struct Case {
    std::string bucket, key, expect;
  };
  for (const Case& c : {Case{kBucket, "WRONG", "InvalidAccessKeyId"},
                        Case{"missing-bucket", "S3RVER", "NoSuchBucket"}}) {
    SCOPED_TRACE(c.expect);
    RigStack rig("sim", absl::Seconds(10), 1.0, "", false, absl::Hours(1),
                 [&](host::RigdConfig& config) {
                   config.upload = Upload(c.bucket);
                   config.upload->credentials.access_key_id = c.key;
                 });
    ASSERT_TRUE(rig.started().ok());
    ASSERT_TRUE(WaitUntil([&] { return !rig.Status().lab_problems().empty(); }, 10));
    const rollrig::v1::RigStatus status = rig.Status();
    EXPECT_THAT(status.lab_problems(0), HasSubstr(c.expect));
    EXPECT_THAT(status.lab_problems(0), HasSubstr(absl::StrCat("s3://", c.bucket)));
    EXPECT_THAT(status.lab_problems(0), HasSubstr(s3_->endpoint()));
    EXPECT_THAT(status.uploads().last_error(), HasSubstr(c.expect));
    EXPECT_EQ(status.connection(), rollrig::v1::CONNECTION_STATE_CONNECTED);
  }
}

}  // namespace
}  // namespace rollrig::testing
