#include "host/analysis/run_analyzer.h"

#include <gtest/gtest.h>

namespace rollrig::host {
namespace {

TEST(RunAnalyzerTest, Smoke) {
  RunAnalyzer analyzer({}, {});
  Sample s;
  s.segment = 0;
  s.cycle = 1;
  analyzer.AddSample(s);
  analyzer.Finish(0);
  EXPECT_EQ(analyzer.Verdict().verdict(), rollrig::v1::VERDICT_PASS);
}

}  // namespace
}  // namespace rollrig::host
