// One plot of the run report as inline SVG: lines, min/max envelopes, horizontal limit
// lines and vertical event markers (with their text as a hover title), on linear axes
// with ticks. A NaN in a series breaks its line or envelope there (a gap stays a gap).
// Every text is HTML-escaped. Pure; any thread.
#pragma once

#include <string>
#include <vector>

namespace rollrig::report {

struct SvgLine {
  std::string name;
  std::string color;  // a CSS color
  std::vector<double> x, y;
  bool dots = false;  // a marker at each point (few points: per-cycle trends)
};

// A filled band between lo and hi at each x (a min/max envelope).
struct SvgBand {
  std::string name;
  std::string color;
  std::vector<double> x, lo, hi;
};

struct SvgLevel {  // a limit line across the plot
  double y = 0;
  std::string label;
  std::string color;
};

struct SvgMark {  // an event at x
  double x = 0;
  std::string kind;  // "pause", "fault", ... (its class: mark-KIND)
  std::string text;  // shown on hover
  std::string color;
};

struct SvgPlotSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  int width = 960;
  int height = 220;
  std::vector<SvgBand> bands;
  std::vector<SvgLine> lines;
  std::vector<SvgLevel> levels;
  std::vector<SvgMark> marks;
};

// The <svg> element; a plot with no data says so inside its frame.
std::string RenderSvgPlot(const SvgPlotSpec& spec);

}  // namespace rollrig::report
