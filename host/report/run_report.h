// The run report: one self-contained HTML page a reviewer opens in any browser, with no
// scripts and nothing fetched (CSS inline, plots as inline SVG). It holds the run's header
// (profile and hash, DUT, operator, owner, versions, device serial, start, end, duration),
// the verdict line exactly as rigctl prints it, the limits table with each worst value and
// where it happened, the per-cycle statistics (every row up to kAllCycleRows cycles, else
// the first and last with the worst cycle of each statistic), trend plots of each
// statistic against cycle number with the per-cycle limits, overview plots of the run with
// its events marked, the drops/gaps/disconnects accounting and the files it came from.
//
// Every string from a recording is HTML-escaped. Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "host/recording/file_system.h"
#include "host/report/run_record.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::report {

inline constexpr size_t kAllCycleRows = 500;
inline constexpr size_t kEdgeCycleRows = 100;  // first and last rows of a longer run
inline constexpr size_t kEventRows = 500;

std::string RenderRunReport(const RunRecord& record);

// Reads `paths` (a run's files in order) and renders its report; with `info` (rigd's view
// of the run) its state and verdict are rigd's. Errors as ReadRunRecord's.
absl::StatusOr<std::string> RunReportHtml(const std::vector<std::string>& paths,
                                          const std::optional<rollrig::v1::RunInfo>& info,
                                          recording::FileSystem* fs = recording::RealFileSystem());

// "RUN_ID.report.html" (a safe file name: characters other than letters, digits, '-', '_'
// and '.' become '_'; "run" when the id is empty).
std::string ReportFileName(const std::string& run_id);

}  // namespace rollrig::report
