// rigctl check: a recording replayed through the analysis, offline (no rigd).
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "host/check/fixture_expectation.h"
#include "host/check/junit_report.h"
#include "host/check/recording_replay.h"
#include "host/rigctl/commands.h"
#include "host/rigctl/options.h"
#include "host/run_model/verdict_line.h"

namespace rollrig::host::rigctl {
namespace {

// More files than any run rotates into in a year would be a mistake.
constexpr size_t kMaxRunFiles = 100000;

int ExitForVerdict(rollrig::v1::Verdict v) {
  switch (v) {
    case rollrig::v1::VERDICT_PASS:
      return kExitOk;
    case rollrig::v1::VERDICT_FAIL:
      return kExitFail;
    case rollrig::v1::VERDICT_MARGINAL:
      return kExitMarginal;
    default:
      return kExitAborted;
  }
}

// A resumed run's files: what was replayed of it, and how to get the whole run's verdict.
void PrintStretches(std::ostream& out, const check::ReplayedRun& run) {
  if (run.files > 1) {
    out << absl::StrFormat(
        "run %s: %d files replayed as one run (resumed %d time%s); verdict over all of it\n",
        run.run_id, run.files, run.part - 1, run.part == 2 ? "" : "s");
  } else if (run.part > 1) {
    out << absl::StrFormat(
        "note: this file is part %d of run %s, resumed after an interruption: the verdict "
        "below covers this part alone; give the run's files in order (rigctl runs show %s "
        "lists them) for the whole run's verdict\n",
        run.part, run.run_id, run.run_id);
  }
  if (run.paused_s > 0 || run.held_s > 0) {
    out << absl::StrFormat("program time %.1f s; paused %.1f s, held %.1f s (left out)\n",
                           run.active_s, run.paused_s, run.held_s);
  }
}

// Worse first: a file that cannot be checked, an aborted run, a FAIL, a MARGINAL.
int Worse(int a, int b) {
  auto rank = [](int code) {
    switch (code) {
      case kExitOk:
        return 0;
      case kExitMarginal:
        return 1;
      case kExitFail:
        return 2;
      case kExitAborted:
        return 3;
      default:
        return 4;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

// The recordings in the order given, split into runs: a file goes on the run before it
// when it is that run's next stretch (a resumed run's files, RunInfo.recordings).
std::vector<std::vector<std::string>> SplitIntoRuns(const std::vector<std::string>& paths) {
  std::vector<std::vector<std::string>> runs;
  std::optional<check::RunStretch> last;
  for (const std::string& path : paths) {
    absl::StatusOr<check::RunStretch> stretch = check::ReadRunStretch(path);
    const bool continues = stretch.ok() && last && !stretch->run_id.empty() &&
                           stretch->run_id == last->run_id && stretch->part == last->part + 1;
    if (continues) {
      runs.back().push_back(path);
    } else {
      runs.push_back({path});
    }
    last = stretch.ok() ? std::optional(*stretch) : std::nullopt;
  }
  return runs;
}

// What --json prints for one run checked, filled as the check goes.
class JsonReport {
 public:
  explicit JsonReport(bool enabled) : enabled_(enabled) {}
  bool enabled() const { return enabled_; }
  void Set(const std::string& key, const std::string& value) {
    (*doc_.mutable_fields())[key].set_string_value(value);
  }
  void Set(const std::string& key, double value) {
    (*doc_.mutable_fields())[key].set_number_value(value);
  }
  void SetBool(const std::string& key, bool value) {
    (*doc_.mutable_fields())[key].set_bool_value(value);
  }
  void SetFiles(const std::vector<std::string>& files) {
    auto* list = (*doc_.mutable_fields())["files"].mutable_list_value();
    for (const std::string& f : files) list->add_values()->set_string_value(f);
  }
  void AddItem(const check::CheckItem& item) {
    auto* list = (*doc_.mutable_fields())["items"].mutable_list_value();
    auto& fields = *list->add_values()->mutable_struct_value()->mutable_fields();
    fields["name"].set_string_value(item.name);
    fields["expected"].set_string_value(item.expected);
    fields["actual"].set_string_value(item.actual);
    fields["ok"].set_bool_value(item.ok);
  }
  // One line of JSON.
  std::string Line() const {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(doc_, &json);
    return json + "\n";
  }

 private:
  bool enabled_;
  google::protobuf::Struct doc_;
};

// Checks one run (one file, or a resumed run's files); returns its exit status.
int CheckRun(Session& s, const std::vector<std::string>& files, const Options& o,
             JsonReport* json) {
  std::ostringstream text;
  const std::string path = files[0];
  json->SetFiles(files);
  absl::StatusOr<check::ReplayedRun> run = check::ReplayRunAnalysis(files);
  if (!run.ok()) {
    s.err() << "rigctl: check " << path << ": " << run.status().message() << "\n";
    json->Set("error", std::string(run.status().message()));
    return kExitUsage;
  }
  const double rate = run->replay_seconds > 0 ? run->run_time_s / run->replay_seconds : 0;
  text << absl::StrFormat(
      "%s: %s, %d samples (%.1f s of device time) replayed in %.3f s, %.0fx real time\n",
      absl::StrJoin(files, " + "), run->profile_name, run->samples, run->run_time_s,
      run->replay_seconds, rate);
  PrintStretches(text, *run);
  if (run->holds > 0) {
    text << absl::StrFormat(
        "held %d time%s (device lost): samples while held not analysed, the interrupted cycle "
        "restarted\n",
        run->holds, run->holds == 1 ? "" : "s");
  }
  text << run_model::VerdictLine(run->verdict, run->state, run->state_reason) << "\n";
  json->Set("run_id", run->run_id);
  json->Set("profile", run->profile_name);
  json->Set("samples", static_cast<double>(run->samples));
  json->Set("verdict", rollrig::v1::VerdictDisplayName(run->verdict.verdict()));
  json->Set("reason", run->verdict.reason());
  json->Set("state", rollrig::v1::RunStateDisplayName(run->state));

  const std::string expect_path =
      o.has("--expect") ? o.value("--expect") : check::DefaultExpectationPath(path);
  const bool have_expectation = o.has("--expect") || static_cast<bool>(std::ifstream(expect_path));
  if (!have_expectation) {
    text << "no expectation (" << expect_path << "): exit status by the verdict\n";
    if (!json->enabled()) s.out() << text.str();
    if (o.has("--junit")) {
      s.err() << "rigctl: check --junit wants an expectation to compare with\n";
      return kExitUsage;
    }
    return ExitForVerdict(run->verdict.verdict());
  }
  absl::StatusOr<rollrig::v1::FixtureExpectation> expected = check::LoadExpectation(expect_path);
  if (!expected.ok()) {
    if (!json->enabled()) s.out() << text.str();
    s.err() << "rigctl: check: " << expected.status().message() << "\n";
    json->Set("error", std::string(expected.status().message()));
    return kExitUsage;
  }
  json->Set("expectation", expect_path);
  const check::CheckReport report = check::CompareWithExpectation(*run, *expected);
  size_t matched = 0;
  for (const check::CheckItem& item : report.items) {
    matched += item.ok ? 1 : 0;
    json->AddItem(item);
    text << absl::StrFormat("  %-4s %-28s expected %-22s actual %s\n", item.ok ? "ok" : "FAIL",
                            item.name, item.expected, item.actual);
  }
  json->SetBool("matched", report.ok());
  if (o.has("--junit")) {
    std::ofstream junit(o.value("--junit"));
    junit << check::JUnitXml(path, report, run->replay_seconds);
    if (!junit) {
      if (!json->enabled()) s.out() << text.str();
      s.err() << "rigctl: check: cannot write " << o.value("--junit") << "\n";
      return kExitUsage;
    }
  }
  text << absl::StrFormat("check %s: %d of %d matched %s\n", report.ok() ? "ok" : "FAILED", matched,
                          report.items.size(), expect_path);
  if (!json->enabled()) s.out() << text.str();
  return report.ok() ? kExitOk : kExitFail;
}

}  // namespace

int CheckCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {"--expect", "--junit"}, {"--json"}, kMaxRunFiles, &o)) {
    return s.Usage(*e);
  }
  if (o.positional.empty()) {
    return s.Usage("check wants a recording: check FIXTURE.mcap ... (or a resumed run's files)");
  }
  const std::vector<std::vector<std::string>> runs = SplitIntoRuns(o.positional);
  if (runs.size() > 1 && (o.has("--expect") || o.has("--junit"))) {
    return s.Usage("--expect and --junit take one run's recordings; these are " +
                   std::to_string(runs.size()) + " runs");
  }
  int worst = kExitOk;
  for (const std::vector<std::string>& files : runs) {
    JsonReport json(o.flag("--json"));
    const int code = CheckRun(s, files, o, &json);
    json.Set("exit", code);
    if (json.enabled()) s.out() << json.Line();
    s.out().flush();
    worst = Worse(worst, code);
  }
  return worst;
}

}  // namespace rollrig::host::rigctl
