#include "host/report/run_report.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "host/report/cycle_columns.h"
#include "host/report/html_text.h"
#include "host/report/report_plots.h"
#include "host/report/report_style.h"
#include "host/run_model/verdict_line.h"
#include "protos/enum_names.h"

namespace rollrig::report {
namespace {

namespace v1 = rollrig::v1;

void Row(std::string* out, const std::string& key, const std::string& value) {
  absl::StrAppend(out, "<tr><th>", HtmlEscape(key), "</th><td>",
                  HtmlEscape(value.empty() ? "-" : value), "</td></tr>\n");
}

std::string VerdictName(const RunRecord& r) {
  return r.has_verdict ? v1::VerdictDisplayName(r.verdict.verdict()) : "none";
}

void Header(const RunRecord& r, std::string* out) {
  absl::StrAppend(out, "<h1>Run report: ", HtmlEscape(r.run_id.empty() ? "(no run id)" : r.run_id),
                  "</h1>\n");
  if (r.in_progress) {
    absl::StrAppend(out,
                    "<div class=\"progress\">in progress: the run was still being recorded; this "
                    "report holds what was durable when it was made.</div>\n");
  }
  const std::string line = r.has_verdict
                               ? run_model::VerdictLine(r.verdict, r.state, r.state_reason)
                               : "verdict: none (the run has not ended)";
  absl::StrAppend(out, "<div class=\"verdict v-", VerdictName(r), "\">", HtmlEscape(line),
                  "</div>\n<h2>Run</h2>\n<table class=\"kv\">\n");
  Row(out, "run id", r.run_id);
  Row(out, "state", v1::RunStateDisplayName(r.state));
  Row(out, "profile", r.profile_name);
  Row(out, "profile description", r.profile.description());
  Row(out, "profile hash", r.profile_hash);
  Row(out, "planned",
      r.cycles_planned > 0       ? absl::StrCat(r.cycles_planned, " cycle(s)")
      : r.duration_planned_s > 0 ? Duration(r.duration_planned_s)
                                 : "one cycle");
  Row(out, "DUT serial", r.dut_serial);
  Row(out, "operator", r.operator_name);
  Row(out, "started by", r.started_by);
  Row(out, "notes", r.notes);
  Row(out, "host version", r.host_version);
  Row(out, "firmware version", r.firmware_version);
  Row(out, "device serial", r.device_serial);
  Row(out, "started", UtcTime(r.started_unix_ns));
  Row(out, r.in_progress ? "recorded until" : "ended", UtcTime(r.ended_unix_ns));
  Row(out, "duration (run time)", Duration(r.run_time_s));
  Row(out, "complete cycles", absl::StrCat(r.cycles.size()));
  absl::StrAppend(out, "</table>\n");
}

std::string Bounds(const v1::LimitResult& l) {
  if (!l.has_min() && !l.has_max()) return "-";
  return absl::StrCat(l.has_min() ? Number(l.min()) : "", " .. ",
                      l.has_max() ? Number(l.max()) : "");
}

void Limits(const RunRecord& r, std::string* out) {
  absl::StrAppend(out, "<h2>Limits</h2>\n");
  if (r.verdict.limits().empty()) {
    absl::StrAppend(out, "<p class=\"note\">No limit results recorded.</p>\n");
    return;
  }
  absl::StrAppend(out,
                  "<table><tr><th>outcome</th><th>limit</th><th>measurement</th><th>bounds</th>"
                  "<th>worst</th><th>cycle</th><th>segment</th><th>run time (s)</th>"
                  "<th>violations</th><th>reason</th></tr>\n");
  for (const v1::LimitResult& l : r.verdict.limits()) {
    const std::string outcome = v1::VerdictDisplayName(l.outcome());
    absl::StrAppend(out, "<tr class=\"o-", outcome, "\"><td>", outcome, "</td><td>",
                    HtmlEscape(l.name()), "</td><td>", HtmlEscape(l.measurement()), "</td><td>",
                    Bounds(l), "</td><td class=\"n\">", Number(l.worst_value()),
                    "</td><td class=\"n\">", l.cycle(), "</td><td>",
                    HtmlEscape(v1::SegmentDisplayText(l.segment(), l.segment_label())),
                    "</td><td class=\"n\">", Number(l.t_s(), 6), "</td><td class=\"n\">",
                    l.violations(), "</td><td>", HtmlEscape(l.reason()), "</td></tr>\n");
  }
  absl::StrAppend(out, "</table>\n");
}

void CycleRow(const v1::CycleStats& c, std::string* out) {
  absl::StrAppend(out, "<tr><td class=\"n\">", c.cycle(), "</td><td class=\"n\">",
                  Number(c.start_s(), 6), "</td><td class=\"n\">", Number(c.end_s(), 6), "</td>");
  for (const CycleColumn& column : CycleColumns()) {
    absl::StrAppend(out, "<td class=\"n\">", Number(column.get(c), column.digits), "</td>");
  }
  absl::StrAppend(out, "</tr>\n");
}

void CycleTableHead(std::string* out) {
  absl::StrAppend(out, "<table><tr><th>cycle</th><th>start (s)</th><th>end (s)</th>");
  for (const CycleColumn& column : CycleColumns()) {
    absl::StrAppend(out, "<th>", HtmlEscape(column.title), "</th>");
  }
  absl::StrAppend(out, "</tr>\n");
}

// The cycle with the worst value of each checked statistic: where a long run's wear shows.
void WorstCycles(const RunRecord& r, std::string* out) {
  absl::StrAppend(out, "<p>Worst cycle of each statistic:</p>\n");
  CycleTableHead(out);
  for (const CycleColumn& column : CycleColumns()) {
    if (column.statistic == v1::CYCLE_STATISTIC_UNSPECIFIED) continue;
    const auto worst = std::max_element(
        r.cycles.begin(), r.cycles.end(), [&](const v1::CycleStats& a, const v1::CycleStats& b) {
          return column.higher_is_worse ? column.get(a) < column.get(b)
                                        : column.get(a) > column.get(b);
        });
    CycleRow(*worst, out);
  }
  absl::StrAppend(out, "</table>\n");
}

void Cycles(const RunRecord& r, std::string* out) {
  absl::StrAppend(out, "<h2>Cycles</h2>\n");
  if (r.cycles.empty()) {
    absl::StrAppend(out, "<p class=\"note\">No complete cycle recorded.</p>\n");
    return;
  }
  const size_t n = r.cycles.size();
  const bool all = n <= kAllCycleRows;
  if (!all) {
    WorstCycles(r, out);
    absl::StrAppendFormat(out,
                          "<p class=\"note\">%d cycles: the first and last %d are listed; every "
                          "cycle is in the trend plots, and <code>rigctl export --cycles</code> "
                          "writes them all as CSV.</p>\n",
                          n, kEdgeCycleRows);
  }
  CycleTableHead(out);
  for (size_t i = 0; i < n; ++i) {
    if (!all && i == kEdgeCycleRows) {
      absl::StrAppendFormat(out,
                            "<tr><td colspan=\"%d\" class=\"note\">... %d cycles ...</td></tr>\n",
                            CycleColumns().size() + 3, n - 2 * kEdgeCycleRows);
    }
    if (all || i < kEdgeCycleRows || i >= n - kEdgeCycleRows) CycleRow(r.cycles[i], out);
  }
  absl::StrAppend(out, "</table>\n");
}

void Plots(const std::string& title, const std::string& note, const std::vector<std::string>& plots,
           std::string* out) {
  absl::StrAppend(out, "<h2>", title, "</h2>\n<p class=\"note\">", note, "</p>\n");
  for (const std::string& svg : plots) absl::StrAppend(out, svg, "\n");
}

void Events(const RunRecord& r, std::string* out) {
  absl::StrAppend(out, "<h2>Events</h2>\n");
  size_t shown = 0;
  std::string rows;
  for (const RecordEvent& e : r.events) {
    if (shown++ == kEventRows) break;
    absl::StrAppend(&rows, "<tr><td class=\"n\">", Number(e.t_s, 7), "</td><td>",
                    EventKindName(e.kind), "</td><td>", HtmlEscape(e.text), "</td></tr>\n");
  }
  if (rows.empty()) {
    absl::StrAppend(out, "<p class=\"note\">No events recorded.</p>\n");
    return;
  }
  if (r.events.size() > kEventRows) {
    absl::StrAppendFormat(out, "<p class=\"note\">The first %d of %d events.</p>\n", kEventRows,
                          r.events.size());
  }
  absl::StrAppend(out, "<table><tr><th>run time (s)</th><th>kind</th><th>event</th></tr>\n", rows,
                  "</table>\n");
}

void Accounting(const RunRecord& r, std::string* out) {
  absl::StrAppend(out, "<h2>Drops, gaps and disconnects</h2>\n<table class=\"kv\">\n");
  Row(out, "samples recorded", absl::StrCat(r.samples));
  Row(out, "samples lost (telemetry gaps)",
      absl::StrCat(r.samples_lost, " in ", r.gaps, " gap(s)"));
  Row(out, "device gone", absl::StrCat(r.device_gaps, " time(s), ", Duration(r.device_gap_s)));
  Row(out, "disconnects", absl::StrCat(r.disconnects));
  Row(out, "corrupt frames reported", absl::StrCat(r.decode_errors));
  Row(out, "pauses", absl::StrCat(r.pauses));
  absl::StrAppend(out, "</table>\n");
}

void Files(const RunRecord& r, std::string* out) {
  absl::StrAppend(out,
                  "<h2>Files</h2>\n<table><tr><th>#</th><th>file</th><th>size</th><th>SHA-256</th>"
                  "</tr>\n");
  for (size_t i = 0; i < r.files.size(); ++i) {
    const RecordFile& f = r.files[i];
    absl::StrAppend(out, "<tr><td class=\"n\">", i, "</td><td>", HtmlEscape(f.name),
                    f.in_progress ? " (in progress)" : "", "</td><td class=\"n\">", Bytes(f.bytes),
                    "</td><td class=\"mono\">", f.sha256, "</td></tr>\n");
  }
  absl::StrAppend(out, "</table>\n");
}

}  // namespace

std::string RenderRunReport(const RunRecord& r) {
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>Run report ",
      HtmlEscape(r.run_id), "</title>\n<style>", kReportCss, "</style></head>\n<body>\n");
  Header(r, &out);
  Limits(r, &out);
  Plots("Overview",
        "Min/max envelope of the run over run time; markers: pause and resume (blue), fault "
        "(red), limit (orange), e-stop (violet), gaps and disconnects (grey), run start and "
        "end (green); hover a marker for its text. Dashed lines: the profile's live limits.",
        OverviewPlots(r), &out);
  Plots("Trends across cycles",
        "Each per-cycle statistic against cycle number; dashed lines: the per-cycle limits.",
        TrendPlots(r), &out);
  Cycles(r, &out);
  Events(r, &out);
  Accounting(r, &out);
  Files(r, &out);
  absl::StrAppend(&out, "</body></html>\n");
  return out;
}

absl::StatusOr<std::string> RunReportHtml(const std::vector<std::string>& paths,
                                          const std::optional<v1::RunInfo>& info,
                                          recording::FileSystem* fs) {
  absl::StatusOr<RunRecord> record = ReadRunRecord(paths, fs);
  if (!record.ok()) return record.status();
  if (info) MergeRunInfo(*info, &*record);
  return RenderRunReport(*record);
}

std::string ReportFileName(const std::string& run_id) {
  std::string name = run_id.empty() ? "run" : run_id;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  }
  return name + ".report.html";
}

}  // namespace rollrig::report
