// A check's outcome as JUnit XML, for CI dashboards: one testsuite per recording, one
// testcase per item checked (verdict, reason, analysis version, each metric), a failure
// element with expected and actual for each item that did not match.
#pragma once

#include <string>

#include "host/check/fixture_expectation.h"

namespace rollrig::check {

// `suite` names the testsuite (e.g. the fixture's file name); `seconds` is the replay time.
std::string JUnitXml(const std::string& suite, const CheckReport& report, double seconds);

}  // namespace rollrig::check
