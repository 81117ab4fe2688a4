#include "host/check/fixture_expectation.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "enum_names.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "host/check/run_metrics.h"

namespace rollrig::check {
namespace {

namespace v1 = rollrig::v1;

// Collects text-format parse errors with their line and column.
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (text.empty()) text = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  std::string text;
};

std::string Number(double v) { return absl::StrFormat("%.6g", v); }

}  // namespace

std::string DefaultExpectationPath(const std::string& recording_path) {
  std::string base = recording_path;
  if (absl::EndsWith(base, ".mcap")) base.resize(base.size() - 5);
  return base + ".expect.textproto";
}

absl::StatusOr<v1::FixtureExpectation> LoadExpectation(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read expectation ", path));
  std::stringstream text;
  text << in.rdbuf();
  v1::FixtureExpectation expectation;
  ErrorCollector errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text.str(), &expectation)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", errors.text));
  }
  return expectation;
}

bool CheckReport::ok() const {
  for (const CheckItem& item : items) {
    if (!item.ok) return false;
  }
  return true;
}

CheckReport CompareWithExpectation(const ReplayedRun& run, const v1::FixtureExpectation& expected) {
  CheckReport report;
  report.items.push_back(CheckItem{"verdict", v1::VerdictDisplayName(expected.verdict()),
                                   v1::VerdictDisplayName(run.verdict.verdict()),
                                   expected.verdict() == run.verdict.verdict()});
  if (!expected.reason_contains().empty()) {
    report.items.push_back(
        CheckItem{"reason", absl::StrCat("contains \"", expected.reason_contains(), "\""),
                  absl::StrCat("\"", run.verdict.reason(), "\""),
                  absl::StrContains(run.verdict.reason(), expected.reason_contains())});
  }
  report.items.push_back(CheckItem{"analysis_version", absl::StrCat(expected.analysis_version()),
                                   absl::StrCat(kAnalysisVersion),
                                   expected.analysis_version() == kAnalysisVersion});
  const std::map<std::string, double> metrics = RunMetrics(run);
  for (const v1::ExpectedMetric& m : expected.metrics()) {
    CheckItem item;
    item.name = m.name();
    item.expected = absl::StrCat(Number(m.value()), " ± ", Number(m.tolerance()));
    auto it = metrics.find(m.name());
    if (it == metrics.end()) {
      item.actual = "(missing)";
    } else {
      item.actual = Number(it->second);
      item.ok = std::isfinite(it->second) && std::fabs(it->second - m.value()) <= m.tolerance();
    }
    report.items.push_back(std::move(item));
  }
  return report;
}

}  // namespace rollrig::check
