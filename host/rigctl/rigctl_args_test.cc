// rigctl's argument handling, without a rigd (usage errors never connect).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "host/rigctl/rigctl.h"

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

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
  EXPECT_EQ(RunArgs({"watch"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("--duration"));
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
              kExitUsage)
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
              kExitUsage)
        << good;
    EXPECT_THAT(err, HasSubstr("cannot reach rigd at 127.0.0.1:1")) << good;
  }
}

TEST(RigctlArgsTest, UnreachableRigdIsAClearConnectionError) {
  std::string err;
  // Port 1 on loopback: nothing listens there.
  EXPECT_EQ(RunArgs({"--addr", "127.0.0.1:1", "status"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("cannot reach rigd at 127.0.0.1:1"));
}

}  // namespace
}  // namespace rollrig::host
