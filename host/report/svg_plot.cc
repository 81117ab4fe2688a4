#include "host/report/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "host/report/html_text.h"

namespace rollrig::report {
namespace {

constexpr double kLeft = 64, kRight = 16, kTop = 24, kBottom = 34;

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void Add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
  // Never zero-width: a flat series gets a band around its value.
  void Widen() {
    if (empty()) return;
    const double pad = hi > lo ? (hi - lo) * 0.05 : std::max(std::abs(hi) * 0.1, 1.0);
    lo -= pad;
    hi += pad;
  }
};

// Data ranges of everything the plot draws.
void DataRanges(const SvgPlotSpec& spec, Range* x, Range* y) {
  for (const SvgBand& b : spec.bands) {
    for (size_t i = 0; i < b.x.size(); ++i) {
      if (!std::isfinite(b.lo[i]) || !std::isfinite(b.hi[i])) continue;
      x->Add(b.x[i]);
      y->Add(b.lo[i]);
      y->Add(b.hi[i]);
    }
  }
  for (const SvgLine& l : spec.lines) {
    for (size_t i = 0; i < l.x.size(); ++i) {
      if (!std::isfinite(l.y[i])) continue;
      x->Add(l.x[i]);
      y->Add(l.y[i]);
    }
  }
  if (y->empty()) return;
  for (const SvgLevel& level : spec.levels) y->Add(level.y);
  // An event just after the last envelope bucket (the run's end) is still drawn.
  for (const SvgMark& mark : spec.marks) x->Add(mark.x);
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `count` ticks.
double TickStep(double span, int count) {
  const double raw = span / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

// The k-th tick of `step`, exactly 0 at zero (never "-0" or "1e-17").
double Tick(double k, double step) { return k == 0 ? 0.0 : k * step; }

class Frame {
 public:
  Frame(const SvgPlotSpec& spec, Range x, Range y)
      : spec_(spec),
        x_(x),
        y_(y),
        w_(spec.width - kLeft - kRight),
        h_(spec.height - kTop - kBottom) {}
  double X(double v) const { return kLeft + (v - x_.lo) / (x_.hi - x_.lo) * w_; }
  double Y(double v) const { return kTop + (y_.hi - v) / (y_.hi - y_.lo) * h_; }

  void Axes(std::string* out) const {
    absl::StrAppendFormat(out,
                          "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" class=\"frame\"/>",
                          kLeft, kTop, w_, h_);
    const double ys = TickStep(y_.hi - y_.lo, 4);
    for (double k = std::ceil(y_.lo / ys); k * ys <= y_.hi; ++k) {
      const double v = Tick(k, ys);
      absl::StrAppendFormat(
          out,
          "<line x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
          "<text x=\"%g\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>",
          kLeft, kLeft + w_, Y(v), Y(v), kLeft - 4, Y(v) + 4, Number(v, 4));
    }
    const double xs = TickStep(x_.hi - x_.lo, 8);
    for (double k = std::ceil(x_.lo / xs); k * xs <= x_.hi; ++k) {
      const double v = Tick(k, xs);
      absl::StrAppendFormat(
          out,
          "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%g\" y2=\"%g\" class=\"grid\"/>"
          "<text x=\"%.1f\" y=\"%g\" class=\"tick\" text-anchor=\"middle\">%s</text>",
          X(v), X(v), kTop, kTop + h_, X(v), kTop + h_ + 14, Number(v, 6));
    }
    absl::StrAppendFormat(out,
                          "<text x=\"%g\" y=\"%g\" class=\"axis\" text-anchor=\"middle\">%s</text>",
                          kLeft + w_ / 2, kTop + h_ + 30, HtmlEscape(spec_.x_label));
    absl::StrAppendFormat(out,
                          "<text x=\"12\" y=\"%g\" class=\"axis\" text-anchor=\"middle\" "
                          "transform=\"rotate(-90 12 %g)\">%s</text>",
                          kTop + h_ / 2, kTop + h_ / 2, HtmlEscape(spec_.y_label));
  }

  void Band(const SvgBand& b, std::string* out) const {
    size_t i = 0;
    while (i < b.x.size()) {
      while (i < b.x.size() && !(std::isfinite(b.lo[i]) && std::isfinite(b.hi[i]))) ++i;
      size_t j = i;
      while (j < b.x.size() && std::isfinite(b.lo[j]) && std::isfinite(b.hi[j])) ++j;
      if (j > i) {
        std::string points;
        for (size_t k = i; k < j; ++k)
          absl::StrAppendFormat(&points, "%.1f,%.1f ", X(b.x[k]), Y(b.hi[k]));
        for (size_t k = j; k-- > i;)
          absl::StrAppendFormat(&points, "%.1f,%.1f ", X(b.x[k]), Y(b.lo[k]));
        absl::StrAppendFormat(out,
                              "<polygon points=\"%s\" fill=\"%s\" fill-opacity=\"0.35\" "
                              "stroke=\"%s\" stroke-width=\"0.6\"/>",
                              points, b.color, b.color);
      }
      i = j;
    }
  }

  void Line(const SvgLine& l, std::string* out) const {
    std::string path;
    bool pen_down = false;
    for (size_t i = 0; i < l.x.size(); ++i) {
      if (!std::isfinite(l.y[i])) {
        pen_down = false;
        continue;
      }
      absl::StrAppendFormat(&path, "%s%.1f,%.1f ", pen_down ? "L" : "M", X(l.x[i]), Y(l.y[i]));
      pen_down = true;
    }
    if (!path.empty()) {
      absl::StrAppendFormat(
          out, "<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.3\"/>", path, l.color);
    }
    if (!l.dots) return;
    for (size_t i = 0; i < l.x.size(); ++i) {
      if (!std::isfinite(l.y[i])) continue;
      absl::StrAppendFormat(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>", X(l.x[i]),
                            Y(l.y[i]), l.color);
    }
  }

  void Level(const SvgLevel& level, std::string* out) const {
    absl::StrAppendFormat(out,
                          "<line x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-dasharray=\"6 3\"/><text x=\"%g\" y=\"%.1f\" class=\"level\" "
                          "text-anchor=\"end\" fill=\"%s\">%s</text>",
                          kLeft, kLeft + w_, Y(level.y), Y(level.y), level.color, kLeft + w_ - 2,
                          Y(level.y) - 3, level.color, HtmlEscape(level.label));
  }

  void Mark(const SvgMark& mark, std::string* out) const {
    if (mark.x < x_.lo || mark.x > x_.hi) return;
    absl::StrAppendFormat(
        out,
        "<g class=\"mark mark-%s\"><title>%s</title><line x1=\"%.1f\" x2=\"%.1f\" "
        "y1=\"%g\" y2=\"%g\" stroke=\"%s\" stroke-width=\"1.2\"/><path d=\"M%.1f,%g "
        "l-4,-7 h8 z\" fill=\"%s\"/></g>",
        HtmlEscape(mark.kind), HtmlEscape(mark.text), X(mark.x), X(mark.x), kTop, kTop + h_,
        mark.color, X(mark.x), kTop, mark.color);
  }

 private:
  const SvgPlotSpec& spec_;
  Range x_, y_;
  double w_, h_;
};

void Legend(const SvgPlotSpec& spec, std::string* out) {
  double x = kLeft + 4;
  const auto entry = [&](const std::string& name, const std::string& color) {
    absl::StrAppendFormat(out,
                          "<rect x=\"%g\" y=\"6\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                          "<text x=\"%g\" y=\"15\" class=\"legend\">%s</text>",
                          x, color, x + 14, HtmlEscape(name));
    x += 24 + 7.0 * static_cast<double>(name.size());
  };
  for (const SvgBand& b : spec.bands) entry(b.name, b.color);
  for (const SvgLine& l : spec.lines) entry(l.name, l.color);
}

}  // namespace

std::string RenderSvgPlot(const SvgPlotSpec& spec) {
  std::string out = absl::StrFormat(
      "<svg class=\"plot\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" role=\"img\"><title>%s</title>",
      spec.width, spec.height, spec.width, spec.height, HtmlEscape(spec.title));
  Range x, y;
  DataRanges(spec, &x, &y);
  if (x.empty() || y.empty()) {
    absl::StrAppendFormat(&out,
                          "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" class=\"frame\"/>"
                          "<text x=\"%g\" y=\"%g\" class=\"axis\" text-anchor=\"middle\">no data "
                          "recorded</text></svg>",
                          kLeft, kTop, spec.width - kLeft - kRight, spec.height - kTop - kBottom,
                          spec.width / 2.0, spec.height / 2.0);
    return out;
  }
  if (x.hi <= x.lo) {  // one point (a run of one cycle): centred
    x.lo -= 0.5;
    x.hi += 0.5;
  }
  y.Widen();
  const Frame frame(spec, x, y);
  frame.Axes(&out);
  for (const SvgBand& b : spec.bands) frame.Band(b, &out);
  for (const SvgLine& l : spec.lines) frame.Line(l, &out);
  for (const SvgLevel& level : spec.levels) frame.Level(level, &out);
  for (const SvgMark& mark : spec.marks) frame.Mark(mark, &out);
  Legend(spec, &out);
  out += "</svg>";
  return out;
}

}  // namespace rollrig::report
