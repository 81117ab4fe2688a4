#include "gui/dash/screenshot.h"

#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rollrig::gui {

OffscreenTarget::~OffscreenTarget() {
  if (fbo_) glDeleteFramebuffers(1, &fbo_);
  if (color_) glDeleteRenderbuffers(1, &color_);
}

absl::Status OffscreenTarget::Create(int width, int height) {
  w_ = width;
  h_ = height;
  glGenFramebuffers(1, &fbo_);
  glGenRenderbuffers(1, &color_);
  glBindRenderbuffer(GL_RENDERBUFFER, color_);
  glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, width, height);
  glBindFramebuffer(GL_FRAMEBUFFER, fbo_);
  glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, color_);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  if (status != GL_FRAMEBUFFER_COMPLETE) {
    return absl::InternalError(
        absl::StrFormat("offscreen framebuffer %dx%d incomplete (0x%x)", width, height, status));
  }
  return absl::OkStatus();
}

void OffscreenTarget::Bind() const { glBindFramebuffer(GL_FRAMEBUFFER, fbo_); }

std::vector<uint8_t> OffscreenTarget::ReadRgb() const {
  std::vector<uint8_t> pixels(static_cast<size_t>(w_) * h_ * 3);
  glBindFramebuffer(GL_READ_FRAMEBUFFER, fbo_);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, w_, h_, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
  std::vector<uint8_t> flipped(pixels.size());
  const size_t row = static_cast<size_t>(w_) * 3;
  for (int y = 0; y < h_; ++y) {
    std::copy_n(pixels.begin() + static_cast<ptrdiff_t>(row * (h_ - 1 - y)), row,
                flipped.begin() + static_cast<ptrdiff_t>(row * y));
  }
  return flipped;
}

absl::Status WritePng(const std::string& path, int width, int height,
                      const std::vector<uint8_t>& rgb) {
  if (!stbi_write_png(path.c_str(), width, height, 3, rgb.data(), width * 3)) {
    return absl::InternalError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += absl::StrFormat("\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Number(double v) { return std::isfinite(v) ? absl::StrFormat("%.6f", v) : "null"; }

// One series as the plot drew it: the widget's report of the points drawn, with their first
// and last times; a widget that does not report extents leaves them to what the series'
// source answers for the plot's window and width.
std::string DescribeSeries(const DashState& s, const PlotDrawStats& p, const std::string& name,
                           size_t points) {
  std::string out = absl::StrCat("{\"name\": ", Quote(name), ", \"points\": ", points);
  for (const PlotDrawStats::SeriesExtent& e : p.series_extents) {
    if (e.name == name) {
      return absl::StrCat(out, ", \"first_t\": ", Number(e.first_t),
                          ", \"last_t\": ", Number(e.last_t), "}");
    }
  }
  const std::optional<size_t> c = FindChannel(name);
  const SeriesSource* src = c ? s.source(*c) : nullptr;
  if (p.series_extents.empty() && src && !src->empty()) {
    SeriesView v;
    src->QueryView(s.view.t0, s.view.t1,
                   std::max(1, static_cast<int>(p.area_w > 0 ? p.area_w : p.w)), &v);
    if (!v.t.empty()) {
      absl::StrAppend(&out, ", \"first_t\": ", Number(std::max(v.t.front(), s.view.t0)),
                      ", \"last_t\": ", Number(std::min(v.t.back(), s.view.t1)));
    }
  }
  return out + "}";
}

// The markers and cycle lines inside the plot's window: as the widget reports drawing them,
// or (a widget that reports no extents) as the marks put them there.
std::string DescribeMarks(const DashState& s, const PlotDrawStats& p) {
  size_t markers = p.markers_drawn, lines = p.cycle_lines_drawn;
  std::vector<std::string> kinds = p.marker_kinds;
  if (p.series_extents.empty()) {
    markers = lines = 0;
    kinds.clear();
    for (const PlotMarker& m : s.marks.markers) {
      if (m.t < s.view.t0 || m.t > s.view.t1) continue;
      ++markers;
      if (std::find(kinds.begin(), kinds.end(), m.kind) == kinds.end()) kinds.push_back(m.kind);
    }
    for (double t : s.marks.cycle_lines) lines += t >= s.view.t0 && t <= s.view.t1;
  }
  std::string k;
  for (const std::string& kind : kinds) absl::StrAppend(&k, k.empty() ? "" : ", ", Quote(kind));
  return absl::StrCat("\"markers\": {\"count\": ", markers, ", \"kinds\": [", k,
                      "]}, \"cycle_lines\": ", lines);
}

std::string DescribePlot(const DashState& s, const PlotDrawStats& p) {
  std::string j = absl::StrCat(
      "{\"title\": ", Quote(p.title),
      absl::StrFormat(", \"x\": %.0f, \"y\": %.0f, \"w\": %.0f, \"h\": %.0f", p.x, p.y, p.w, p.h),
      ", \"dropped_in_view\": ", p.dropped_in_view, ", ", DescribeMarks(s, p), ", \"series\": [");
  for (size_t k = 0; k < p.points_per_series.size(); ++k) {
    absl::StrAppend(
        &j, k ? ", " : "",
        DescribeSeries(s, p, p.points_per_series[k].first, p.points_per_series[k].second));
  }
  return j + "]}";
}

std::string DescribeHistory(const DashState& s) {
  if (!s.history) return "";
  const RunHistorySummary& h = s.history_summary;
  const absl::Status st = s.history->status();
  return absl::StrCat(
      "  \"history\": {\"run_id\": ",
      Quote(h.run_id.empty() ? s.history->requested_run() : h.run_id),
      ", \"arrived\": ", h.have ? "true" : "false",
      ", \"recorded_end_s\": ", Number(h.recorded_end_s),
      ", \"recording\": ", h.recording ? "true" : "false", ", \"events\": ", h.events.size(),
      ", \"cycles\": ", h.cycles.size(), ", \"fetches\": ", s.history->fetches(),
      ", \"memory_bytes\": ", s.history->memory_bytes(), ", \"damage\": ", Quote(h.damage),
      ", \"error\": ", Quote(st.ok() ? "" : std::string(st.message())), "},\n");
}

std::string DescribeTrends(const TrendsModel& t) {
  std::string j = "\"trends\": {\"series\": [";
  for (size_t i = 0; i < t.series.size(); ++i) {
    absl::StrAppend(&j, i ? ", " : "", "{\"name\": ", Quote(t.series[i].name),
                    ", \"points\": ", t.series[i].cycle.size(), "}");
  }
  return j + "]}";
}

}  // namespace

std::string DescribeFrame(const DashState& s, int width, int height, const FrameTiming& timing) {
  std::string j = absl::StrFormat("{\n  \"size\": {\"w\": %d, \"h\": %d},\n", width, height);
  absl::StrAppend(&j, "  \"mode\": ", Quote(s.recording ? "recording" : "live"), ",\n");
  if (s.client) {
    absl::StrAppend(&j, "  \"connection\": {\"addr\": ", Quote(s.client->addr()),
                    ", \"state\": ", Quote(LinkStateName(s.snap.link)),
                    ", \"telemetry_rows\": ", s.snap.telemetry_rows,
                    ", \"stream_dropped\": ", s.snap.stream_dropped_total,
                    ", \"lease_held_by_us\": ", s.snap.we_hold_lease ? "true" : "false", "},\n");
  } else {
    absl::StrAppend(&j, "  \"connection\": {\"state\": \"none\"},\n");
  }
  if (s.recording) {
    absl::StrAppend(
        &j, "  \"recording\": {\"path\": ", Quote(s.recording->path),
        ", \"run_id\": ", Quote(s.recording->run_id), ", \"samples\": ", s.recording->samples,
        ", \"dropped\": ", s.recording->dropped, ", \"files\": ", s.recording->files.size(),
        ", \"problem\": ", Quote(s.recording->problem), "},\n");
  }
  if (s.golden) {
    absl::StrAppend(&j, "  \"golden\": {\"path\": ", Quote(s.golden->recording->path),
                    ", \"shift_s\": ", absl::StrFormat("%.6f", s.golden->shift), "},\n");
  }
  absl::StrAppend(&j, absl::StrFormat("  \"view\": {\"t0\": %.6f, \"t1\": %.6f, \"follow\": %s, "
                                      "\"time_base\": \"%s\"},\n",
                                      s.view.t0, s.view.t1, s.view.follow_latest ? "true" : "false",
                                      s.run_time_axis ? "run" : "connection"));
  absl::StrAppend(&j, DescribeHistory(s));
  absl::StrAppend(&j, "  \"plots\": [\n");
  for (size_t i = 0; i < s.plot_stats.size(); ++i) {
    absl::StrAppend(&j, "    ", DescribePlot(s, s.plot_stats[i]),
                    i + 1 < s.plot_stats.size() ? ",\n" : "\n");
  }
  absl::StrAppend(&j, "  ],\n");
  absl::StrAppend(&j,
                  absl::StrFormat("  \"estop\": {\"x\": %.0f, \"y\": %.0f, \"w\": %.0f, "
                                  "\"h\": %.0f, \"shortcut\": \"F1 or Ctrl+Space\", "
                                  "\"refused_for_want_of_a_token\": %s},\n",
                                  s.estop_rect.x, s.estop_rect.y, s.estop_rect.w, s.estop_rect.h,
                                  s.snap.estop_refused.empty() ? "false" : "true"));
  absl::StrAppend(&j, "  ", DescribeTrends(s.trends), ",\n");
  absl::StrAppend(&j, absl::StrFormat("  \"frames\": {\"count\": %d, \"mean_ms\": %.2f, "
                                      "\"max_ms\": %.2f},\n",
                                      timing.frames, timing.mean_frame_ms, timing.max_frame_ms));
  absl::StrAppend(&j, absl::StrFormat("  \"process\": {\"wall_s\": %.2f, \"cpu_s\": %.2f, "
                                      "\"max_rss_kb\": %d}\n}\n",
                                      timing.wall_s, timing.cpu_s, timing.max_rss_kb));
  return j;
}

}  // namespace rollrig::gui
