// rigd and rigctl as a user runs them: separate processes on loopback.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tests/test_process.h"

namespace rollrig {
namespace {

using testing::ChildProcess;
using ::testing::HasSubstr;
using ::testing::Not;

// No user config and no token from the environment (the rigctl children inherit this).
const bool kIsolated = [] {
  setenv("ROLLRIG_CLIENT_CONFIG", "/nonexistent/rollrig/client.conf", 1);
  unsetenv("ROLLRIG_TOKEN");
  return true;
}();
using testing::RunCommand;

class RigdProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    addr_ = "127.0.0.1:" + std::to_string(testing::FreePort());
    // Its own runs directory: rigd locks it, and tests run side by side.
    runs_dir_ = MakeDir();
    rigd_ = std::make_unique<ChildProcess>(
        RIGD_PATH,
        std::vector<std::string>{"--device", "sim", "--listen", addr_, "--runs-dir", runs_dir_});
    // Serving once rigctl status answers. Bounded by time, not tries: each try against a
    // rigd not yet listening waits for rigctl's connect timeout. A rigd that exited (its
    // port taken meanwhile) is not waited for.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline && rigd_->running()) {
      if (Rigctl({"status"}).exit_code == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "rigd did not come up: " << rigd_->Output();
  }

  testing::CommandResult Rigctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--addr", addr_});
    return RunCommand(RIGCTL_PATH, args);
  }

  void TearDown() override {
    rigd_.reset();
    std::filesystem::remove_all(runs_dir_);
  }

  static std::string MakeDir() {
    char path[] = "/tmp/rollrig-test-runs-XXXXXX";
    return mkdtemp(path);
  }

  std::string addr_;
  std::string runs_dir_;
  std::unique_ptr<ChildProcess> rigd_;
};

TEST_F(RigdProcessTest, StatusJogWatchEStopClear) {
  testing::CommandResult status = Rigctl({"status"});
  EXPECT_THAT(status.output, HasSubstr("SIM-0001"));
  EXPECT_THAT(status.output, HasSubstr("connected"));

  EXPECT_EQ(Rigctl({"jog", "--roller-rpm", "40", "--head-deg", "-20"}).exit_code, 0);
  testing::CommandResult watch =
      Rigctl({"watch", "--duration", "0.5", "--rate", "50", "--format", "csv"});
  ASSERT_EQ(watch.exit_code, 0) << watch.output;
  EXPECT_THAT(watch.output,
              HasSubstr("t_s,roller_rpm_cmd,roller_rpm,head_deg_cmd,head_deg,torque_nm,"
                        "force_n,current_a,temp_c,head_current_a,seq,drops"));
  // The head servo's current is measured: every row has a value in its column (the 10th),
  // at least the servo's idle draw while it holds the head.
  {
    std::istringstream lines(watch.output);
    std::string line;
    std::getline(lines, line);
    int rows = 0;
    while (std::getline(lines, line)) {
      const std::vector<std::string> cells = absl::StrSplit(line, ',');
      ASSERT_EQ(cells.size(), 12u) << line;
      EXPECT_GT(std::stod(cells[9]), 0.01) << line;
      ++rows;
    }
    EXPECT_GE(rows, 20);
  }
  EXPECT_GE(std::count(watch.output.begin(), watch.output.end(), '\n'), 20);

  testing::CommandResult table = Rigctl({"watch", "--duration", "0.2"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.output, HasSubstr("rpm_cmd"));
  EXPECT_THAT(table.output, HasSubstr("head_A"));

  EXPECT_EQ(Rigctl({"estop", "--reason", "test"}).exit_code, 0);
  testing::CommandResult refused = Rigctl({"jog", "--roller-rpm", "10"});
  EXPECT_EQ(refused.exit_code, 6) << "refused, not a FAIL verdict";
  EXPECT_THAT(refused.output, HasSubstr("e-stopped"));
  EXPECT_EQ(std::count(refused.output.begin(), refused.output.end(), '\n'), 1) << refused.output;
  EXPECT_EQ(Rigctl({"status"}).exit_code, 0);
  EXPECT_EQ(Rigctl({"clear"}).exit_code, 0);

  testing::CommandResult range = Rigctl({"jog", "--roller-rpm", "100000"});
  EXPECT_EQ(range.exit_code, 6);
  EXPECT_THAT(range.output, HasSubstr("-120..120"));
}

TEST_F(RigdProcessTest, SecondRigdOnTheSamePortExitsWithAReason) {
  const std::string other_dir = MakeDir();
  testing::CommandResult second =
      RunCommand(RIGD_PATH, {"--device", "sim", "--listen", addr_, "--runs-dir", other_dir}, 20);
  std::filesystem::remove_all(other_dir);
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.exit_code, -1) << "the second rigd kept running";
  EXPECT_THAT(second.output, HasSubstr("address already in use"));
  EXPECT_TRUE(rigd_->running());
}

TEST_F(RigdProcessTest, WatchWithoutDurationRunsUntilCtrlC) {
  ChildProcess watch(RIGCTL_PATH, {"--addr", addr_, "watch", "--rate", "20", "--format", "csv"});
  bool rows = false;
  for (int i = 0; i < 200 && !rows; ++i) {
    const std::string out = watch.Output();
    rows = std::count(out.begin(), out.end(), '\n') >= 5;
    if (!rows) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(rows) << watch.Output();
  EXPECT_TRUE(watch.running()) << "without --duration, watch goes on";
  watch.Signal(SIGINT);
  EXPECT_EQ(watch.Wait(20), 0) << watch.Output();
  EXPECT_THAT(watch.Output(), Not(HasSubstr("rigctl:"))) << "Ctrl-C is no error";
}

TEST_F(RigdProcessTest, RunDetachJsonPrintsOnlyJsonOnStdout) {
  testing::CommandResult started =
      RunCommand("/bin/sh", {"-c", std::string(RIGCTL_PATH) + " --addr " + addr_ +
                                       " run swedish --cycles 1 --detach --json 2>/dev/null"});
  ASSERT_EQ(started.exit_code, 0) << started.output;
  ASSERT_FALSE(started.output.empty());
  EXPECT_EQ(started.output.front(), '{') << started.output;
  EXPECT_EQ(started.output.substr(started.output.find_last_not_of('\n'), 1), "}") << started.output;
  EXPECT_THAT(started.output, HasSubstr("\"id\""));
  EXPECT_THAT(started.output, Not(HasSubstr("detached")));
  google::protobuf::Struct run;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(started.output, &run).ok())
      << started.output;
  const std::string id = run.fields().at("id").string_value();
  // `runs show --json` is one document too: the run with its cycles.
  testing::CommandResult shown =
      RunCommand("/bin/sh", {"-c", std::string(RIGCTL_PATH) + " --addr " + addr_ + " runs show " +
                                       id + " --json 2>/dev/null"});
  ASSERT_EQ(shown.exit_code, 0) << shown.output;
  google::protobuf::Struct doc;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(shown.output, &doc).ok()) << shown.output;
  EXPECT_EQ(doc.fields().at("id").string_value(), id);
  EXPECT_TRUE(doc.fields().at("cycles").has_list_value()) << shown.output;
  EXPECT_EQ(Rigctl({"stop"}).exit_code, 0);
}

TEST_F(RigdProcessTest, SigtermStopsTheMotorsThenExitsCleanly) {
  ASSERT_EQ(Rigctl({"jog", "--roller-rpm", "60"}).exit_code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  rigd_->Signal(SIGTERM);
  EXPECT_EQ(rigd_->Wait(20), 0) << rigd_->Output();
  EXPECT_THAT(rigd_->Output(), HasSubstr("motors stopped"));
}

// kill -9 of rigd mid-run: the next rigd on the same runs directory marks the run
// interrupted, and `rigctl run --resume` continues it, as the same run, from the start of
// the cycle after its last judged one.
TEST_F(RigdProcessTest, RunSurvivesAKilledRigdAndResumes) {
  const std::string profile = runs_dir_ + "/two-seconds.textproto";
  std::ofstream(profile) << R"pb(
    name: "two-seconds"
    steps {
      segment {
        label: "spin"
        duration_s: 1.5
        roller { hold { rpm: 30 } }
      }
    }
    steps {
      segment {
        label: "rest"
        duration_s: 0.5
        roller { hold { rpm: 0 } }
      }
    }
    limits {
      name: "stall"
      signal: SIGNAL_TORQUE_NM
      max: 2.5
      persist_s: 0.2
      action: LIMIT_ACTION_ABORT
    }
  )pb";
  testing::CommandResult started = Rigctl({"run", profile, "--cycles", "4", "--detach"});
  ASSERT_EQ(started.exit_code, 0) << started.output;
  const size_t at = started.output.find("run ");
  ASSERT_NE(at, std::string::npos);
  const std::string id = started.output.substr(at + 4, started.output.find(':', at) - at - 4);
  // Wait for the first cycle to complete, then kill rigd without warning.
  for (int i = 0; i < 100; ++i) {
    if (Rigctl({"runs", "show", id, "--json"}).output.find("\"cycles_completed\": 1") !=
        std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  rigd_->Signal(SIGKILL);
  rigd_->Wait(10);
  rigd_ = std::make_unique<ChildProcess>(
      RIGD_PATH,
      std::vector<std::string>{"--device", "sim", "--listen", addr_, "--runs-dir", runs_dir_});
  for (int i = 0; i < 100 && Rigctl({"status"}).exit_code != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  testing::CommandResult runs = Rigctl({"runs"});
  EXPECT_THAT(runs.output, HasSubstr("interrupted")) << runs.output;
  testing::CommandResult resumed = Rigctl({"run", "--resume", id});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  // The same run goes on: one verdict over all its cycles, the crash a gap.
  EXPECT_THAT(resumed.output, HasSubstr("run " + id + ": two-seconds"));
  EXPECT_THAT(resumed.output, HasSubstr("resumed (interrupted 1 (gap"));
  EXPECT_THAT(resumed.output, HasSubstr("verdict: PASS"));
  EXPECT_THAT(resumed.output, HasSubstr("over 4 cycles"));
  testing::CommandResult shown = Rigctl({"runs", "show", id});
  EXPECT_THAT(shown.output, HasSubstr("crash or power cut")) << shown.output;
}

TEST(RigdArgsTest, BadArgumentsAndUnknownDevice) {
  testing::CommandResult bad = RunCommand(RIGD_PATH, {"--bogus", "1"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("unknown option '--bogus'"));
  testing::CommandResult device = RunCommand(RIGD_PATH, {"--device", "floppy"});
  EXPECT_EQ(device.exit_code, 2);
  EXPECT_THAT(device.output, HasSubstr("floppy"));
  testing::CommandResult remote = RunCommand(RIGD_PATH, {"--listen", "0.0.0.0:0"});
  EXPECT_NE(remote.exit_code, 0);
  EXPECT_THAT(remote.output, HasSubstr("TLS"));
}

TEST(RigdArgsTest, TlsOptionsGoTogetherAndTheirFilesAreNamed) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> refused = {
      {{"--tls-cert", "server.crt"}, "--tls-cert and --tls-key go together"},
      {{"--tls-client-ca", "ca.crt"}, "--tls-client-ca needs --tls-cert and --tls-key"},
      {{"--tls-cert", "/nonexistent/server.crt", "--tls-key", "server.key"},
       "cannot read the TLS certificate /nonexistent/server.crt"},
  };
  for (const auto& [args, says] : refused) {
    const testing::CommandResult r = RunCommand(RIGD_PATH, args);
    EXPECT_NE(r.exit_code, 0) << says;
    EXPECT_THAT(r.output, HasSubstr(says));
  }
}

// rigd with a credentials file: a bad one stops the start naming the line; SIGHUP re-reads
// it, and a reload that finds an error keeps the previous table and says which line.
TEST(RigdArgsTest, CredentialsAreCheckedAtStartAndReloadedOnSighup) {
  char dir_template[] = "/tmp/rollrig-test-credentials-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const std::string credentials = dir + "/credentials";
  const std::string good = "observer alice@desk sha256:" + std::string(64, 'a') + "\n";
  std::ofstream(credentials) << good << "operater bob sha256:" << std::string(64, 'b') << "\n";
  const std::string addr = "127.0.0.1:" + std::to_string(testing::FreePort());
  testing::CommandResult bad = RunCommand(
      RIGD_PATH, {"--listen", addr, "--credentials", credentials, "--runs-dir", dir + "/runs"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.output, HasSubstr("credentials file " + credentials + ": line 2: unknown role"));

  std::ofstream(credentials, std::ios::trunc) << good;
  ChildProcess rigd(RIGD_PATH,
                    {"--listen", addr, "--credentials", credentials, "--runs-dir", dir + "/runs"});
  auto wait_for = [&](const std::string& text) {
    for (int i = 0; i < 100 && rigd.Output().find(text) == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return rigd.Output().find(text) != std::string::npos;
  };
  ASSERT_TRUE(wait_for("with credentials")) << rigd.Output();
  rigd.Signal(SIGHUP);
  EXPECT_TRUE(wait_for("SIGHUP: credentials reloaded")) << rigd.Output();
  std::ofstream(credentials, std::ios::trunc) << good << "admin root expires=2026-01-01\n";
  rigd.Signal(SIGHUP);
  EXPECT_TRUE(
      wait_for("line 2: the credential must be sha256:HEX or cert:SUBJECT; the previous "
               "credentials stay in force"))
      << rigd.Output();
  EXPECT_TRUE(rigd.running());
  EXPECT_EQ(rigd.Stop(10), 0);
  std::filesystem::remove_all(dir);
}

TEST(RigctlProcessTest, NoRigdIsAOneLineErrorAndExitFive) {
  testing::CommandResult r = RunCommand(
      RIGCTL_PATH,
      {"--addr", "127.0.0.1:" + std::to_string(testing::FreePort()), "jog", "--roller-rpm", "10"});
  EXPECT_EQ(r.exit_code, 5) << "unreachable, not a usage error";
  EXPECT_THAT(r.output, HasSubstr("cannot reach rigd"));
}

}  // namespace
}  // namespace rollrig
