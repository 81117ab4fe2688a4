// The run report's inline style sheet and its palette: one place for how the page looks.
#pragma once

namespace rollrig::report {

inline constexpr char kReportCss[] = R"css(
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#1d232a;background:#fff;max-width:1000px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:26px 0 8px;border-bottom:1px solid #ccd;padding-bottom:3px}
table{border-collapse:collapse;font-size:12px;margin:4px 0}td,th{border:1px solid #d4d8de;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
table.kv th{width:170px}
.verdict{font-size:18px;font-weight:bold;padding:10px 14px;border-radius:6px;margin:10px 0}
.v-PASS{background:#dff3e2;color:#14532d}.v-MARGINAL{background:#fff3cd;color:#6b4f00}
.v-FAIL{background:#fde2e1;color:#7f1d1d}.v-ABORTED{background:#fde2e1;color:#7f1d1d}.v-none{background:#eef1f5}
.progress{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px;margin:8px 0}
.note{color:#555;font-size:12px}.mono{font-family:"DejaVu Sans Mono",monospace;font-size:11px}
svg.plot{display:block;margin:6px 0 10px;background:#fbfcfd}
svg .frame{fill:none;stroke:#9aa3ad}svg .grid{stroke:#e3e7ec}svg .tick{font-size:10px;fill:#555}
svg .axis{font-size:11px;fill:#333}svg .legend{font-size:11px;fill:#333}svg .level{font-size:10px}
tr.o-FAIL td,tr.o-ABORTED td{background:#fdecea}tr.o-MARGINAL td{background:#fff8e1}
)css";

// Marker colours by event kind, and series colours.
inline constexpr char kPauseColor[] = "#2563eb";
inline constexpr char kFaultColor[] = "#dc2626";
inline constexpr char kLimitColor[] = "#ea580c";
inline constexpr char kEStopColor[] = "#7c3aed";
inline constexpr char kGapColor[] = "#6b7280";
inline constexpr char kRunColor[] = "#059669";
inline constexpr char kLimitLineColor[] = "#b91c1c";
inline constexpr const char* kSeriesColors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"};

}  // namespace rollrig::report
