// rigctl's argument handling, without a rigd (usage errors never connect).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_split.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "host/rigctl/rigctl.h"

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

// Points the client config at `path` (a user's own config must not change these tests).
class ScopedConfig {
 public:
  explicit ScopedConfig(const std::string& path) {
    setenv("ROLLRIG_CLIENT_CONFIG", path.c_str(), 1);
  }
  ~ScopedConfig() { setenv("ROLLRIG_CLIENT_CONFIG", "/nonexistent/rollrig/client.conf", 1); }
};

// No user config and no token from the environment, for every test.
const bool kIsolated = [] {
  setenv("ROLLRIG_CLIENT_CONFIG", "/nonexistent/rollrig/client.conf", 1);
  unsetenv("ROLLRIG_TOKEN");
  return true;
}();

int RunArgs(std::vector<std::string> args, std::string* err_text) {
  std::ostringstream out, err;
  int rc = RunRigctl(args, out, err);
  *err_text = err.str();
  return rc;
}

TEST(RigctlArgsTest, UsageErrorsExitFourWithAReason) {
  std::string err;
  EXPECT_EQ(RunArgs({}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("no command"));
  EXPECT_EQ(RunArgs({"fly"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("unknown command 'fly'"));
  EXPECT_EQ(RunArgs({"jog"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("at least one"));
  EXPECT_EQ(RunArgs({"jog", "--roller-rpm", "fast"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("--roller-rpm 'fast'"));
  EXPECT_EQ(RunArgs({"jog", "--roller-rpm", "nan"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("finite"));
  EXPECT_EQ(RunArgs({"jog", "--roller-rpm"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("needs a value"));
  EXPECT_EQ(RunArgs({"watch", "--rate", "-1"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("--rate"));
  EXPECT_EQ(RunArgs({"watch", "--duration", "5x"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("invalid duration '5x'"));
  EXPECT_EQ(RunArgs({"watch", "--duration", "1", "--format", "xml"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("--format 'xml'"));
  EXPECT_EQ(RunArgs({"status", "--bogus"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("unknown option '--bogus'"));
}

TEST(RigctlArgsTest, OnDisconnectNamesTheChoices) {
  std::string err;
  for (const char* bad : {"retry", "HOLD"}) {
    EXPECT_EQ(RunArgs({"run", "swedish", "--on-disconnect", bad}, &err), kExitUsage) << bad;
    EXPECT_THAT(err, HasSubstr("--on-disconnect must be hold, resume or abort, got '" +
                               std::string(bad) + "'"));
  }
  EXPECT_EQ(RunArgs({"run", "swedish", "--on-disconnect"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("needs a value"));
  // A resumed run keeps the policy it was started with.
  EXPECT_EQ(RunArgs({"run", "--resume", "r1", "--on-disconnect", "abort"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("disconnect policy"));
  // Each choice is accepted: the next thing rigctl does is reach rigd.
  for (const char* good : {"hold", "resume", "abort"}) {
    EXPECT_EQ(RunArgs({"--addr", "127.0.0.1:1", "run", "swedish", "--on-disconnect", good}, &err),
              kExitUnreachable)
        << good;
    EXPECT_THAT(err, HasSubstr("cannot reach rigd at 127.0.0.1:1")) << good;
  }
}

TEST(RigctlArgsTest, HoldTimeoutWantsAPositiveDuration) {
  std::string err;
  EXPECT_EQ(RunArgs({"run", "swedish", "--hold-timeout", "soon"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("--hold-timeout: "));
  EXPECT_THAT(err, HasSubstr("'soon'"));
  EXPECT_EQ(RunArgs({"run", "swedish", "--hold-timeout", "0"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("--hold-timeout must be longer than 0"));
  EXPECT_EQ(RunArgs({"run", "swedish", "--hold-timeout", "-5s"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("--hold-timeout"));
  EXPECT_EQ(RunArgs({"run", "--resume", "r1", "--hold-timeout", "10m"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("disconnect policy"));
  for (const char* good : {"10m", "90s", "2h"}) {
    EXPECT_EQ(RunArgs({"--addr", "127.0.0.1:1", "run", "swedish", "--on-disconnect", "resume",
                       "--hold-timeout", good},
                      &err),
              kExitUnreachable)
        << good;
    EXPECT_THAT(err, HasSubstr("cannot reach rigd at 127.0.0.1:1")) << good;
  }
}

TEST(RigctlArgsTest, UnreachableRigdIsAClearConnectionError) {
  std::string err;
  // Port 1 on loopback: nothing listens there.
  EXPECT_EQ(RunArgs({"--addr", "127.0.0.1:1", "status"}, &err), kExitUnreachable);
  EXPECT_THAT(err, HasSubstr("cannot reach rigd at 127.0.0.1:1 (--addr)"));
  EXPECT_THAT(err, HasSubstr("nothing accepts connections"));
}

TEST(RigctlArgsTest, ExitStatusesTellEveryOutcomeApart) {
  // run and attach keep 0 PASS, 1 FAIL, 2 MARGINAL, 3 ABORTED or FAULTED.
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitFail, 1);
  EXPECT_EQ(kExitMarginal, 2);
  EXPECT_EQ(kExitAborted, 3);
  const std::set<int> codes = {kExitOk,      kExitFail,     kExitMarginal,
                               kExitAborted, kExitUsage,    kExitUnreachable,
                               kExitRefused, kExitNotFound, kExitDenied};
  EXPECT_EQ(codes.size(), 9u) << "a usage error, an unreachable rigd, a refusal, 'not found' "
                                 "and a denial each have a status of their own";
  // Each is in the usage text's table.
  std::ostringstream out, err;
  ASSERT_EQ(RunRigctl({"--help"}, out, err), kExitOk);
  for (int code : codes) EXPECT_THAT(out.str(), HasSubstr(std::to_string(code) + " ")) << code;
}

TEST(RigctlArgsTest, AnAddressThatIsNotHostPortIsNamedAsSuch) {
  std::string err;
  for (const char* bad : {"localhost", "127.0.0.1", "rig7:http", "rig7:99999"}) {
    EXPECT_EQ(RunArgs({"--addr", bad, "status"}, &err), kExitUsage) << bad;
    EXPECT_THAT(err, HasSubstr(std::string("--addr '") + bad + "' is not HOST:PORT")) << bad;
  }
}

TEST(RigctlArgsTest, UnreadableTokenAndCaFilesAreNamedWithTheirOption) {
  std::string err;
  EXPECT_EQ(RunArgs({"--addr", "127.0.0.1:1", "--token-file", "/nonexistent/t", "status"}, &err),
            kExitUsage);
  EXPECT_THAT(err, HasSubstr("cannot read token file /nonexistent/t (--token-file)"));
  EXPECT_EQ(RunArgs({"--addr", "127.0.0.1:1", "--tls-ca", "/nonexistent/ca.crt", "status"}, &err),
            kExitUsage);
  EXPECT_THAT(err, HasSubstr("cannot read CA certificate /nonexistent/ca.crt (--tls-ca)"));
}

TEST(RigctlArgsTest, TheClientConfigGivesDefaultsAndItsErrorsNameTheLine) {
  const std::string path = ::testing::TempDir() + "/rigctl-client.conf";
  std::ofstream(path) << "# the bench\naddr = 127.0.0.1:1\n";
  ScopedConfig config(path);
  std::string err;
  EXPECT_EQ(RunArgs({"status"}, &err), kExitUnreachable);
  EXPECT_THAT(err, HasSubstr("cannot reach rigd at 127.0.0.1:1 (addr in " + path + ")"));
  std::ofstream(path) << "adress = 127.0.0.1:1\n";
  EXPECT_EQ(RunArgs({"status"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr(path + " line 1: unknown key 'adress'"));
  // Offline commands need no rigd and no config.
  EXPECT_EQ(RunArgs({"check"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("check wants a recording"));
}

TEST(RigctlArgsTest, ReportWantsARunOrRecordingsAndNamesAMissingFile) {
  std::string err;
  EXPECT_EQ(RunArgs({"report"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("report needs a run ID or recording FILE.mcap"));
  EXPECT_EQ(RunArgs({"report", "/nonexistent/r.mcap", "-o", "/nonexistent/r.html"}, &err),
            kExitNotFound);
  EXPECT_THAT(err, HasSubstr("no file /nonexistent/r.mcap"));
}

TEST(RigctlArgsTest, CheckTakesSeveralRecordingsAndPrintsOnlyJson) {
  const std::string dir = std::string(ROLLRIG_SOURCE_DIR) + "/fixtures/";
  std::ostringstream out, err;
  const int rc = RunRigctl({"check", dir + "swedish.mcap", dir + "over-temperature-fail.mcap",
                            dir + "stall-abort.mcap", "--json"},
                           out, err);
  EXPECT_EQ(rc, kExitOk) << err.str() << out.str();
  std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << out.str();
  for (const std::string& line : lines) {
    google::protobuf::Struct doc;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &doc).ok()) << line;
    EXPECT_TRUE(doc.fields().at("matched").bool_value()) << line;
    EXPECT_EQ(doc.fields().at("exit").number_value(), 0) << line;
  }
  EXPECT_THAT(lines[1], HasSubstr("\"verdict\":\"FAIL\""));
  EXPECT_THAT(lines[2], HasSubstr("\"verdict\":\"ABORTED\""));

  // Without expectations, the worst verdict decides: FAIL over PASS.
  std::ostringstream out2, err2;
  EXPECT_EQ(RunRigctl({"check", dir + "swedish.mcap", dir + "over-temperature-fail.mcap",
                       "--expect", dir + "swedish.expect.textproto"},
                      out2, err2),
            kExitUsage)
      << "--expect is for one run";
  EXPECT_THAT(err2.str(), HasSubstr("--expect and --junit take one run's recordings"));
}

}  // namespace
}  // namespace rollrig::host
