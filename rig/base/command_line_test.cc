#include "rig/base/command_line.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rollrig {
namespace {

using ::testing::HasSubstr;

const std::vector<OptionSpec> kOptions = {
    {"--listen", "HOST:PORT", "where to listen"},
    {"--count", "N", "how many\nat most ten"},
    {"--rate", "HZ", "how fast"},
    {"--json", "", "print JSON"},
    {"-h", "", ""},
};

std::string ErrorOf(const std::vector<std::string>& args, size_t max_positional = 0) {
  return std::string(
      ParseCommandLine(args, 0, kOptions, PositionalRule{max_positional}).status().message());
}

TEST(CommandLineTest, TakesValuesBothWaysFlagsAndPositionals) {
  absl::StatusOr<CommandLine> line = ParseCommandLine(
      {"a.mcap", "--listen", "h:1", "--count=3", "--json", "-h"}, 0, kOptions, PositionalRule{1});
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->value("--listen"), "h:1");
  EXPECT_EQ(line->value("--count"), "3");
  EXPECT_EQ(line->value("--rate", "none"), "none");
  EXPECT_TRUE(line->flag("--json"));
  EXPECT_TRUE(line->flag("-h"));
  EXPECT_FALSE(line->has("--rate"));
  EXPECT_EQ(line->positional, std::vector<std::string>{"a.mcap"});
}

TEST(CommandLineTest, ErrorsNameWhatWasWrong) {
  EXPECT_EQ(ErrorOf({"--bogus"}), "unknown option '--bogus'");
  EXPECT_EQ(ErrorOf({"--json=yes"}), "unknown option '--json=yes'");
  EXPECT_EQ(ErrorOf({"--listen"}), "--listen needs a value");
  EXPECT_EQ(ErrorOf({"extra"}), "unexpected argument 'extra'");
  EXPECT_EQ(ErrorOf({"one", "two"}, 1), "unexpected argument 'two'");
}

TEST(CommandLineTest, StopsAtTheFirstPositionalWhenACommandFollows) {
  size_t end = 0;
  absl::StatusOr<CommandLine> line = ParseCommandLine({"--json", "run", "--bogus"}, 0, kOptions,
                                                      PositionalRule{.stop_at_first = true}, &end);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_TRUE(line->flag("--json"));
  EXPECT_EQ(end, 1u);
  ASSERT_TRUE(
      ParseCommandLine({"--json"}, 0, kOptions, PositionalRule{.stop_at_first = true}, &end).ok());
  EXPECT_EQ(end, 1u);
}

TEST(CommandLineTest, TypedReadersNameTheOptionAndTheValue) {
  CommandLine line = *ParseCommandLine({"--count", "12", "--rate", "fast"}, 0, kOptions, {});
  int count = 0;
  EXPECT_EQ(line.ReadInteger("--count", 1, 10, &count).message(),
            "invalid --count '12': expected 1..10");
  EXPECT_EQ(count, 0);
  EXPECT_EQ(line.ReadInteger("--count", 1, 10, &count, "a few").message(),
            "invalid --count '12': expected a few");
  EXPECT_TRUE(line.ReadInteger("--count", 1, 20, &count).ok());
  EXPECT_EQ(count, 12);
  double rate = 7;
  EXPECT_EQ(line.ReadNumber("--rate", &rate).message(), "invalid --rate 'fast': expected a number");
  EXPECT_EQ(rate, 7);
  line = *ParseCommandLine({"--rate=inf"}, 0, kOptions, {});
  EXPECT_THAT(line.ReadNumber("--rate", &rate).message(), HasSubstr("finite"));
  line = *ParseCommandLine({"--rate=2.5"}, 0, kOptions, {});
  EXPECT_TRUE(line.ReadNumber("--rate", &rate).ok());
  EXPECT_EQ(rate, 2.5);
  // Absent: nothing to read, nothing changed.
  EXPECT_TRUE(line.ReadInteger("--count", 1, 10, &count).ok());
  EXPECT_EQ(count, 12);
}

TEST(CommandLineTest, HelpListsEveryDocumentedOptionAligned) {
  const std::string help = CommandLineHelp("tool", kOptions);
  EXPECT_THAT(help,
              HasSubstr("usage: tool [--listen HOST:PORT] [--count N] [--rate HZ] [--json]\n"));
  EXPECT_THAT(help, HasSubstr("\n  --listen HOST:PORT  where to listen\n"));
  EXPECT_THAT(help,
              HasSubstr("\n  --count N           how many\n                      at most ten\n"));
  EXPECT_THAT(help, HasSubstr("\n  --json              print JSON\n"));
  EXPECT_EQ(help.find("-h"), std::string::npos) << "an option without help is not listed";
}

}  // namespace
}  // namespace rollrig
