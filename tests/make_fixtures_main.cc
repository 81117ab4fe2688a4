// make_fixtures: records the standard fixtures (tests/fixture_maker.h) into a directory.
//   make_fixtures [--out DIR] [--write-expectations] [NAME...]
// Writes DIR/NAME.mcap for each fixture (all when no NAME is given). An expectation
// (DIR/NAME.expect.textproto) is written only where none exists, or for every fixture
// made with --write-expectations: an expectation is a promise, not an output.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "enum_names.h"
#include "host/check/fixture_expectation.h"
#include "tests/fixture_maker.h"

int main(int argc, char** argv) {
  std::string out = "fixtures";
  bool write_expectations = false;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--out" && i + 1 < argc) {
      out = argv[++i];
    } else if (arg == "--write-expectations") {
      write_expectations = true;
    } else if (arg == "--help" || arg.rfind("--", 0) == 0) {
      std::fprintf(arg == "--help" ? stdout : stderr,
                   "usage: make_fixtures [--out DIR] [--write-expectations] [NAME...]\n");
      return arg == "--help" ? 0 : 4;
    } else {
      names.push_back(arg);
    }
  }
  std::vector<const rollrig::testing::FixtureSpec*> specs;
  if (names.empty()) {
    for (const auto& s : rollrig::testing::StandardFixtures()) specs.push_back(&s);
  }
  for (const std::string& name : names) {
    const auto* spec = rollrig::testing::FindFixture(name);
    if (spec == nullptr) {
      std::fprintf(stderr, "make_fixtures: no fixture named '%s'\n", name.c_str());
      return 4;
    }
    specs.push_back(spec);
  }
  for (const auto* spec : specs) {
    auto made = rollrig::testing::MakeFixture(*spec, out);
    if (!made.ok()) {
      std::fprintf(stderr, "make_fixtures: %s: %s\n", spec->name.c_str(),
                   std::string(made.status().message()).c_str());
      return 1;
    }
    const std::string expect_path = rollrig::check::DefaultExpectationPath(made->path);
    const bool exists = static_cast<bool>(std::ifstream(expect_path));
    if (write_expectations || !exists) {
      std::ofstream(expect_path) << rollrig::testing::ExpectationText(made->expectation);
    }
    std::printf("%-40s %8.1f KiB  %6llu samples  %s %s%s\n", made->path.c_str(),
                static_cast<double>(made->bytes) / 1024.0,
                static_cast<unsigned long long>(made->run.samples),
                rollrig::v1::VerdictDisplayName(made->run.verdict.verdict()).c_str(),
                made->run.verdict.reason().c_str(),
                write_expectations || !exists ? "  (expectation written)" : "");
  }
  return 0;
}
