#include "gui/dash/plot_layout.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "rig/base/telemetry_channels.h"

namespace rollrig::gui {
namespace {

bool IsPlottable(std::string_view channel) {
  for (std::string_view c : PlottableChannels()) {
    if (c == channel) return true;
  }
  return false;
}

// Debian's Abseil has its own string_view: the parsing works in it.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }
std::string_view Std(absl::string_view s) { return std::string_view(s.data(), s.size()); }

absl::Status LineError(std::string_view origin, int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(Absl(origin), ":", line, ": ", what));
}

// "plot TITLE: CHANNEL, CHANNEL"
absl::StatusOr<PlotSpec> ParsePlotLine(absl::string_view rest, std::string_view origin, int line) {
  const size_t colon = rest.rfind(':');
  if (colon == absl::string_view::npos) {
    return LineError(origin, line, "expected 'plot TITLE: CHANNEL, ...'");
  }
  PlotSpec plot;
  plot.title = std::string(absl::StripAsciiWhitespace(rest.substr(0, colon)));
  if (plot.title.empty()) return LineError(origin, line, "a plot needs a title");
  for (absl::string_view c : absl::StrSplit(rest.substr(colon + 1), ',')) {
    c = absl::StripAsciiWhitespace(c);
    if (c.empty()) continue;
    if (!IsPlottable(Std(c))) {
      std::string known;
      for (std::string_view k : PlottableChannels())
        absl::StrAppend(&known, known.empty() ? "" : ", ", Absl(k));
      return LineError(origin, line,
                       absl::StrCat("unknown channel '", c, "' (channels: ", known, ")"));
    }
    plot.channels.emplace_back(c);
  }
  if (plot.channels.empty()) {
    return LineError(origin, line, absl::StrCat("plot '", plot.title, "' names no channel"));
  }
  return plot;
}

}  // namespace

bool PlotLayoutSpec::operator==(const PlotLayoutSpec& other) const {
  if (columns != other.columns || plots.size() != other.plots.size()) return false;
  for (size_t i = 0; i < plots.size(); ++i) {
    if (plots[i].title != other.plots[i].title || plots[i].channels != other.plots[i].channels) {
      return false;
    }
  }
  return true;
}

std::vector<std::string_view> PlottableChannels() {
  std::vector<std::string_view> names;
  for (const TelemetryChannel& c : kTelemetryChannels) names.push_back(c.name);
  names.push_back(kSpeedErrorChannel);
  return names;
}

std::string_view PlottableUnit(std::string_view channel) {
  if (channel == kSpeedErrorChannel) return "rpm";
  const auto c = FindChannel(channel);
  return c ? kTelemetryChannels[*c].unit : std::string_view();
}

PlotLayoutSpec DefaultPlotLayout() {
  PlotLayoutSpec layout;
  for (size_t g = 0; g < kPlotGroups.size(); ++g) {
    PlotSpec plot{std::string(kPlotGroups[g].title), {}};
    for (const TelemetryChannel& c : kTelemetryChannels) {
      if (c.plot_group == static_cast<int>(g)) plot.channels.emplace_back(c.name);
    }
    if (!plot.channels.empty()) layout.plots.push_back(std::move(plot));
  }
  layout.plots.push_back({"Temperature", {"temp_c"}});
  return layout;
}

absl::StatusOr<PlotLayoutSpec> ParsePlotLayout(std::string_view text, std::string_view origin) {
  PlotLayoutSpec layout;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(Absl(text), '\n')) {
    ++line_no;
    if (const size_t hash = line.find('#'); hash != absl::string_view::npos) {
      line = line.substr(0, hash);
    }
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (absl::ConsumePrefix(&line, "columns ")) {
      size_t columns = 0;
      if (!absl::SimpleAtoi(line, &columns) || columns < 1 || columns > kMaxLayoutColumns) {
        return LineError(origin, line_no,
                         absl::StrCat("columns '", line, "' is not 1 to ", kMaxLayoutColumns));
      }
      layout.columns = columns;
    } else if (absl::ConsumePrefix(&line, "plot ")) {
      absl::StatusOr<PlotSpec> plot = ParsePlotLine(line, origin, line_no);
      if (!plot.ok()) return plot.status();
      if (layout.plots.size() == kMaxLayoutPlots) {
        return LineError(origin, line_no, absl::StrCat("more than ", kMaxLayoutPlots, " plots"));
      }
      layout.plots.push_back(*std::move(plot));
    } else {
      return LineError(origin, line_no,
                       absl::StrCat("expected 'columns N' or 'plot TITLE: CHANNEL, ...', got '",
                                    line.substr(0, 40), "'"));
    }
  }
  if (layout.plots.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(Absl(origin), ": no plots"));
  }
  return layout;
}

std::string FormatPlotLayout(const PlotLayoutSpec& layout) {
  std::string text = "# rig-dash plot layout: one plot a line, 'plot TITLE: CHANNEL, CHANNEL'\n";
  absl::StrAppend(&text, "columns ", layout.columns, "\n");
  for (const PlotSpec& p : layout.plots) {
    // A ':' in the title is fine: the channels follow the last one.
    absl::StrAppend(&text, "plot ", p.title, ": ", absl::StrJoin(p.channels, ", "), "\n");
  }
  return text;
}

std::string PlotLayoutPath() {
  constexpr const char* kFile = "rig-dash-layout.txt";
  if (const char* p = std::getenv("ROLLRIG_DASH_LAYOUT"); p != nullptr && *p != '\0') return p;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x != nullptr && *x != '\0') {
    return absl::StrCat(x, "/rollrig/", kFile);
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    return absl::StrCat(h, "/.config/rollrig/", kFile);
  }
  return "";
}

absl::StatusOr<PlotLayoutSpec> LoadPlotLayout(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat(path, ": no saved layout"));
  }
  std::ifstream in(path);
  if (!in) return absl::UnavailableError(absl::StrCat(path, ": cannot be read"));
  std::stringstream text;
  text << in.rdbuf();
  return ParsePlotLayout(text.str(), path);
}

absl::Status SavePlotLayout(const PlotLayoutSpec& layout, const std::string& path) {
  if (path.empty()) return absl::FailedPreconditionError("no place to save the layout");
  std::error_code ec;
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << FormatPlotLayout(layout);
    if (!out.flush()) return absl::UnavailableError(absl::StrCat(temp, ": cannot be written"));
  }
  std::filesystem::rename(temp, target, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(path, ": ", ec.message()));
  return absl::OkStatus();
}

void PlotLayout::LoadOnce() {
  if (loaded) return;
  loaded = true;
  path = PlotLayoutPath();
  if (path.empty()) {
    status = "layout not saved: set HOME, XDG_CONFIG_HOME or ROLLRIG_DASH_LAYOUT";
    return;
  }
  absl::StatusOr<PlotLayoutSpec> read = LoadPlotLayout(path);
  if (read.ok()) {
    spec = *std::move(read);
    status = "layout from " + path;
  } else if (absl::IsNotFound(read.status())) {
    status = "default layout (saved to " + path + " when changed)";
  } else {
    status = std::string(read.status().message()) + "; the default layout is shown";
  }
}

void PlotLayout::Save() {
  const absl::Status saved = SavePlotLayout(spec, path);
  status = saved.ok() ? "saved to " + path : std::string(saved.message());
}

}  // namespace rollrig::gui
