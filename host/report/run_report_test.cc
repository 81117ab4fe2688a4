// The run report: escaping, the verdict line, the limits table, the plots, the accounting
// and the errors, on the fixtures and on small recordings written here.
#include "host/report/run_report.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "host/recording/mcap_writer.h"
#include "host/recording/memory_file_system.h"
#include "host/recording/recording_layout.h"
#include "host/report/html_text.h"
#include "host/report/svg_plot.h"

namespace rollrig::report {
namespace {

namespace v1 = rollrig::v1;
namespace rec = rollrig::recorder;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Fixture(const std::string& name) {
  return absl::StrCat(ROLLRIG_FIXTURES_DIR, "/", name, ".mcap");
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Nothing a browser would run or fetch.
void ExpectSelfContained(const std::string& html) {
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("http:")));
  EXPECT_THAT(html, Not(HasSubstr("https:")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
}

TEST(HtmlText, EscapesMarkupAndReplacesInvalidUtf8) {
  EXPECT_EQ(HtmlEscape("<b a=\"x\">'&'</b>"), "&lt;b a=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
  EXPECT_EQ(HtmlEscape("°C N·m"), "°C N·m");
  EXPECT_EQ(HtmlEscape(std::string("a\xff"
                                   "b\xc3",
                                   4)),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
}

TEST(HtmlText, FormatsNumbersTimesAndSizes) {
  EXPECT_EQ(Number(0.123456, 3), "0.123");
  EXPECT_EQ(Number(std::numeric_limits<double>::quiet_NaN()), "-");
  EXPECT_EQ(UtcTime(1'735'689'600'000'000'000), "2025-01-01 00:00:00 UTC");
  EXPECT_EQ(Duration(3723), "1 h 02 min 03 s");
  EXPECT_EQ(Bytes(2048), "2.0 KiB");
}

TEST(SvgPlot, DrawsBandsLinesLevelsAndMarksAndBreaksAtGaps) {
  SvgPlotSpec spec;
  spec.title = "t<1>";
  const double nan = std::numeric_limits<double>::quiet_NaN();
  spec.bands.push_back({"b", "#000", {0, 1, 2, 3, 4}, {0, 1, nan, 1, 0}, {1, 2, nan, 2, 1}});
  spec.lines.push_back({"l", "#111", {0, 1, 2}, {0.5, 0.7, 0.9}, true});
  spec.levels.push_back({1.5, "max <x>", "#f00"});
  spec.marks.push_back({2, "pause", "pause at 2 s: \"operator\"", "#00f"});
  spec.marks.push_back({6, "fault", "after the last bucket: the axis reaches it", "#f00"});
  const std::string svg = RenderSvgPlot(spec);
  EXPECT_EQ(Count(svg, "<polygon"), 2u) << "the NaN bucket splits the band";
  EXPECT_EQ(Count(svg, "<circle"), 3u);
  EXPECT_EQ(Count(svg, "class=\"mark mark-pause\""), 1u);
  EXPECT_EQ(Count(svg, "mark-fault"), 1u);
  EXPECT_THAT(svg, HasSubstr("max &lt;x&gt;"));
  EXPECT_THAT(svg, HasSubstr("<title>t&lt;1&gt;</title>"));
  EXPECT_THAT(svg, HasSubstr("&quot;operator&quot;"));
}

TEST(SvgPlot, WithoutDataSaysSo) {
  SvgPlotSpec spec;
  EXPECT_THAT(RenderSvgPlot(spec), HasSubstr("no data recorded"));
}

TEST(RunReport, AnAbortedFixtureNamesItsVerdictLimitsAndPlots) {
  absl::StatusOr<std::string> html = RunReportHtml({Fixture("stall-abort")}, std::nullopt);
  ASSERT_TRUE(html.ok()) << html.status();
  ExpectSelfContained(*html);
  EXPECT_THAT(*html, HasSubstr("verdict: ABORTED"));
  EXPECT_THAT(*html, HasSubstr("class=\"verdict v-ABORTED\""));
  EXPECT_THAT(*html, HasSubstr("fixture-stall-abort"));
  EXPECT_THAT(*html, HasSubstr("swedish"));
  // The limits table: the stall limit with its worst value, where it happened.
  EXPECT_THAT(*html, HasSubstr("<tr class=\"o-ABORTED\"><td>ABORTED</td><td>stall</td>"));
  // Overview (torque, speed, force, temperature, head) and trends (none: no cycle ended).
  EXPECT_EQ(Count(*html, "<svg"), 5u);
  // The device's program start and end are marked (the limit stopped it before any fault).
  EXPECT_EQ(Count(*html, "class=\"mark mark-run\""), 2u * 5);
  // The stall limit tripping is marked on every plot, as in a recording of rigd's.
  EXPECT_EQ(Count(*html, "class=\"mark mark-limit\""), 1u * 5);
  EXPECT_THAT(*html, HasSubstr("limit stall: torque_nm"));
  EXPECT_THAT(*html, HasSubstr("No complete cycle recorded"));
  EXPECT_THAT(*html, HasSubstr("stall-abort.mcap"));
  EXPECT_THAT(*html, Not(HasSubstr("in progress:")));
}

TEST(RunReport, APassingFixtureHasItsCycleTableTrendsGapAccountingAndFileDigest) {
  absl::StatusOr<RunRecord> record = ReadRunRecord({Fixture("telemetry-gap")});
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->samples_lost, 30u);
  EXPECT_EQ(record->gaps, 1u);
  ASSERT_EQ(record->cycles.size(), 1u);
  EXPECT_GT(record->samples, 4000u);
  ASSERT_EQ(record->files.size(), 1u);
  EXPECT_EQ(record->files[0].sha256.size(), 64u);
  EXPECT_FALSE(record->overview.t.empty());
  const std::string html = RenderRunReport(*record);
  ExpectSelfContained(html);
  EXPECT_THAT(html, HasSubstr("verdict: PASS"));
  EXPECT_THAT(html, HasSubstr("30 in 1 gap(s)"));
  EXPECT_THAT(html, HasSubstr("mark-gap"));
  EXPECT_THAT(html, HasSubstr(record->files[0].sha256));
  // Overview 5 + trends: torque, force, speed tracking, temperature, current.
  EXPECT_EQ(Count(html, "<svg"), 10u);
  EXPECT_THAT(html, HasSubstr("per-cycle current"));
  EXPECT_THAT(html, HasSubstr("per-cycle torque"));
  for (const char* column :
       {"peak torque", "mean force", "speed RMS error", "max temperature", "RMS current"}) {
    EXPECT_THAT(html, HasSubstr(column));
  }
}

// A recording of a run whose metadata and events hold markup, and a FAIL verdict.
std::string HostileRecording(recording::MemoryFileSystem* fs, bool finish) {
  const std::string path = finish ? "/r/hostile.mcap" : "/r/hostile.mcap.part";
  auto file = fs->NewWritableFile(path);
  EXPECT_TRUE(file.ok());
  recording::McapWriter writer(*std::move(file), recording::McapWriterOptions());
  EXPECT_TRUE(writer.Open().ok());
  absl::StatusOr<rec::RecordingChannels> ch = rec::AddRunChannels(writer);
  EXPECT_TRUE(ch.ok());
  v1::RunSpec spec;
  spec.set_dut_serial("<script>alert('dut')</script>");
  spec.set_operator_("O'Brien & <b>Co</b>");
  std::string spec_json;
  (void)google::protobuf::util::MessageToJsonString(spec, &spec_json);
  constexpr int64_t kT0 = 1'735'689'600'000'000'000;
  EXPECT_TRUE(writer
                  .WriteMetadata(rec::kRunMetadata, {{rec::kRunIdKey, "run-<1>"},
                                                     {rec::kRunSpecKey, spec_json},
                                                     {rec::kProfileNameKey, "p\"q"},
                                                     {rec::kProfileTextKey, "name: \"p\""}})
                  .ok());
  host::Sample s;
  v1::TelemetryRecord record;
  std::string scratch;
  rec::OverviewBuilder overview(0);
  rec::OverviewEntry entry;
  uint32_t overview_seq = 0;
  for (uint64_t i = 0; i < 3000; ++i) {
    s.seq = i;
    s.time_us = i * 1000;
    s.host_time_ns = kT0 + static_cast<int64_t>(i) * 1'000'000;
    s.torque_nm = 0.1 + 0.001 * static_cast<double>(i % 100);
    EXPECT_TRUE(rec::WriteSample(writer, *ch, s, kT0, &record, &scratch).ok());
    if (overview.Add(s, &entry)) {
      EXPECT_TRUE(rec::WriteOverview(writer, *ch, entry, overview_seq++, &scratch).ok());
    }
  }
  v1::RigEvent pause;
  pause.set_kind(v1::RIG_EVENT_RUN_STATE);
  pause.set_run_state(v1::RUN_STATE_PAUSED);
  pause.set_host_time_ns(kT0 + 1'000'000'000);
  pause.set_message("paused by <img src=x onerror=alert(1)>");
  EXPECT_TRUE(rec::WriteEvent(writer, *ch, pause, 0, &scratch).ok());
  if (!finish) {
    EXPECT_TRUE(writer.Flush().ok());
    return path;
  }
  v1::RunVerdict verdict;
  verdict.set_verdict(v1::VERDICT_FAIL);
  verdict.set_reason("peak <torque> too high");
  v1::LimitResult* limit = verdict.add_limits();
  limit->set_name("cycle <peak>");
  limit->set_outcome(v1::VERDICT_FAIL);
  limit->set_worst_value(2.75);
  limit->set_cycle(3);
  limit->set_t_s(17.5);
  std::string verdict_json;
  (void)google::protobuf::util::MessageToJsonString(verdict, &verdict_json);
  EXPECT_TRUE(
      writer
          .WriteMetadata(rec::kVerdictMetadata, {{rec::kVerdictKey, verdict_json},
                                                 {rec::kRunStateKey, "RUN_STATE_COMPLETED"}})
          .ok());
  EXPECT_TRUE(writer.Finish().ok());
  return path;
}

TEST(RunReport, EscapesEveryStringFromTheRecording) {
  recording::MemoryFileSystem fs;
  const std::string path = HostileRecording(&fs, true);
  absl::StatusOr<std::string> html = RunReportHtml({path}, std::nullopt, &fs);
  ASSERT_TRUE(html.ok()) << html.status();
  ExpectSelfContained(*html);
  EXPECT_THAT(*html, HasSubstr("&lt;script&gt;alert(&#39;dut&#39;)&lt;/script&gt;"));
  EXPECT_THAT(*html, HasSubstr("O&#39;Brien &amp; &lt;b&gt;Co&lt;/b&gt;"));
  EXPECT_THAT(*html, HasSubstr("run-&lt;1&gt;"));
  EXPECT_THAT(*html, HasSubstr("p&quot;q"));
  EXPECT_THAT(*html, HasSubstr("paused by &lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_THAT(*html, HasSubstr("verdict: FAIL peak &lt;torque&gt; too high"));
  EXPECT_THAT(*html, HasSubstr("cycle &lt;peak&gt;"));
  EXPECT_THAT(*html, HasSubstr("<td class=\"n\">2.75</td><td class=\"n\">3</td>"));
  EXPECT_THAT(*html, HasSubstr("mark-pause"));
}

TEST(RunReport, ARecordingStillBeingWrittenIsReportedInProgress) {
  recording::MemoryFileSystem fs;
  const std::string path = HostileRecording(&fs, false);
  absl::StatusOr<RunRecord> record = ReadRunRecord({path}, &fs);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(record->in_progress);
  EXPECT_TRUE(record->files[0].in_progress);
  const std::string html = RenderRunReport(*record);
  EXPECT_THAT(html, HasSubstr("in progress:"));
  EXPECT_THAT(html, HasSubstr("hostile.mcap.part (in progress)"));
  EXPECT_THAT(html, HasSubstr("verdict: none"));
  // rigd's view of the active run gives its verdict so far.
  v1::RunInfo info;
  info.set_id("run-<1>");
  info.set_state(v1::RUN_STATE_RUNNING);
  info.mutable_judged()->set_verdict(v1::VERDICT_PASS);
  MergeRunInfo(info, &*record);
  EXPECT_THAT(RenderRunReport(*record), HasSubstr("verdict: PASS"));
}

TEST(RunReport, MissingOrDamagedFilesAreErrorsNamingTheFile) {
  recording::MemoryFileSystem fs;
  absl::StatusOr<RunRecord> missing = ReadRunRecord({"/r/none.mcap"}, &fs);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("/r/none.mcap"));
  fs.SetContents("/r/junk.mcap", "this is not an MCAP file at all, not even close to one");
  absl::StatusOr<RunRecord> junk = ReadRunRecord({"/r/junk.mcap"}, &fs);
  ASSERT_FALSE(junk.ok());
  EXPECT_THAT(std::string(junk.status().message()), HasSubstr("/r/junk.mcap"));
  EXPECT_FALSE(ReadRunRecord({}, &fs).ok());
}

TEST(RunReport, ThousandsOfCyclesListTheWorstFirstAndLastAndPlotEveryOne) {
  RunRecord record;
  record.run_id = "long";
  for (uint32_t i = 1; i <= 3000; ++i) {
    v1::CycleStats& c = record.cycles.emplace_back();
    c.set_cycle(i);
    c.set_peak_torque_nm(i == 1234 ? 2.9 : 0.5);  // the worn-out cycle
    c.set_max_temperature_c(30 + i / 1000.0);
  }
  const std::string html = RenderRunReport(record);
  EXPECT_THAT(html, HasSubstr("3000 cycles: the first and last 100 are listed"));
  EXPECT_THAT(html, HasSubstr("... 2800 cycles ..."));
  EXPECT_THAT(html, HasSubstr("Worst cycle of each statistic"));
  EXPECT_THAT(html, HasSubstr("<tr><td class=\"n\">1234</td>"));  // the worst peak torque
  // Rows: 200 listed, the worst of each checked statistic, the elision and the headers.
  EXPECT_LT(Count(html, "<tr>"), 260u);
  // Every cycle is a point of each trend line (drawn without a dot each, at this many).
  EXPECT_EQ(Count(html, "<circle"), 0u);
  EXPECT_GE(Count(html, " L"), 2999u * 9);  // 9 statistics in the trends
}

TEST(RunReport, FileNamesAreSafe) {
  EXPECT_EQ(ReportFileName("r-20250101-1"), "r-20250101-1.report.html");
  EXPECT_EQ(ReportFileName("../x y"), ".._x_y.report.html");
  EXPECT_EQ(ReportFileName(""), "run.report.html");
}

}  // namespace
}  // namespace rollrig::report
