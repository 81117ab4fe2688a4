// rigctl check: a recording replayed through the analysis, offline (no rigd).
#include <fstream>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
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
      return kExitRefused;
    case rollrig::v1::VERDICT_MARGINAL:
      return kExitMarginal;
    default:
      return kExitAborted;
  }
}

// A resumed run's files: what was replayed of it, and how to get the whole run's verdict.
void PrintStretches(Session& s, const check::ReplayedRun& run) {
  if (run.files > 1) {
    s.out() << absl::StrFormat(
        "run %s: %d files replayed as one run (resumed %d time%s); verdict over all of it\n",
        run.run_id, run.files, run.part - 1, run.part == 2 ? "" : "s");
  } else if (run.part > 1) {
    s.out() << absl::StrFormat(
        "note: this file is part %d of run %s, resumed after an interruption: the verdict "
        "below covers this part alone; give the run's files in order (rigctl runs show %s "
        "lists them) for the whole run's verdict\n",
        run.part, run.run_id, run.run_id);
  }
  if (run.paused_s > 0 || run.held_s > 0) {
    s.out() << absl::StrFormat("program time %.1f s; paused %.1f s, held %.1f s (left out)\n",
                               run.active_s, run.paused_s, run.held_s);
  }
}

}  // namespace

int CheckCommand(Session& s, const Args& args) {
  Options o;
  if (auto e = ParseOptions(args, 0, {"--expect", "--junit"}, {}, kMaxRunFiles, &o)) {
    return s.Usage(*e);
  }
  if (o.positional.empty()) {
    return s.Usage("check wants a recording: check FIXTURE.mcap (or a resumed run's files)");
  }
  const std::string path = o.positional[0];

  absl::StatusOr<check::ReplayedRun> run = check::ReplayRunAnalysis(o.positional);
  if (!run.ok()) {
    s.err() << "rigctl: check " << path << ": " << run.status().message() << "\n";
    return kExitUsage;
  }
  const double rate = run->replay_seconds > 0 ? run->run_time_s / run->replay_seconds : 0;
  s.out() << absl::StrFormat(
      "%s: %s, %d samples (%.1f s of device time) replayed in %.3f s, %.0fx real time\n",
      absl::StrJoin(o.positional, " + "), run->profile_name, run->samples, run->run_time_s,
      run->replay_seconds, rate);
  PrintStretches(s, *run);
  if (run->holds > 0) {
    s.out() << absl::StrFormat(
        "held %d time%s (device lost): samples while held not analysed, the interrupted cycle "
        "restarted\n",
        run->holds, run->holds == 1 ? "" : "s");
  }
  s.out() << run_model::VerdictLine(run->verdict, run->state, run->state_reason) << "\n";

  const std::string expect_path =
      o.has("--expect") ? o.value("--expect") : check::DefaultExpectationPath(path);
  const bool have_expectation = o.has("--expect") || static_cast<bool>(std::ifstream(expect_path));
  if (!have_expectation) {
    s.out() << "no expectation (" << expect_path << "): exit status by the verdict\n";
    if (o.has("--junit")) {
      s.err() << "rigctl: check --junit wants an expectation to compare with\n";
      return kExitUsage;
    }
    return ExitForVerdict(run->verdict.verdict());
  }
  absl::StatusOr<rollrig::v1::FixtureExpectation> expected = check::LoadExpectation(expect_path);
  if (!expected.ok()) {
    s.err() << "rigctl: check: " << expected.status().message() << "\n";
    return kExitUsage;
  }
  const check::CheckReport report = check::CompareWithExpectation(*run, *expected);
  size_t matched = 0;
  for (const check::CheckItem& item : report.items) {
    matched += item.ok ? 1 : 0;
    s.out() << absl::StrFormat("  %-4s %-28s expected %-22s actual %s\n", item.ok ? "ok" : "FAIL",
                               item.name, item.expected, item.actual);
  }
  if (o.has("--junit")) {
    std::ofstream junit(o.value("--junit"));
    junit << check::JUnitXml(path, report, run->replay_seconds);
    if (!junit) {
      s.err() << "rigctl: check: cannot write " << o.value("--junit") << "\n";
      return kExitUsage;
    }
  }
  s.out() << absl::StrFormat("check %s: %d of %d matched %s\n", report.ok() ? "ok" : "FAILED",
                             matched, report.items.size(), expect_path);
  return report.ok() ? kExitOk : kExitRefused;
}

}  // namespace rollrig::host::rigctl
