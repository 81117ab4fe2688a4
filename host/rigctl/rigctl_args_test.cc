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

TEST(RigctlArgsTest, UnreachableRigdIsAClearConnectionError) {
  std::string err;
  // Port 1 on loopback: nothing listens there.
  EXPECT_EQ(RunArgs({"--addr", "127.0.0.1:1", "status"}, &err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("cannot reach rigd at 127.0.0.1:1"));
}

}  // namespace
}  // namespace rollrig::host
