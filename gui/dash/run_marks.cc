#include "gui/dash/run_marks.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace rollrig::gui {
namespace {

using rollrig::v1::RigEvent;

std::optional<double> TimeOf(const RigEvent& e, const EventClock& clock) {
  if (e.has_run_time_s()) return e.run_time_s();
  if (e.kind() == rollrig::v1::RIG_EVENT_DEVICE && clock.device_time_zero_s &&
      e.device().time_us() > 0) {
    return static_cast<double>(e.device().time_us()) * 1e-6 - *clock.device_time_zero_s;
  }
  if (clock.host_time_zero_ns != 0 && e.host_time_ns() != 0) {
    return static_cast<double>(e.host_time_ns() - clock.host_time_zero_ns) * 1e-9;
  }
  return std::nullopt;
}

// "pause", "resume", ... for a run changing state; empty: not a marker.
std::string RunStateKind(rollrig::v1::RunState state, rollrig::v1::RunState previous) {
  using namespace rollrig::v1;
  switch (state) {
    case RUN_STATE_RUNNING:
      return previous == RUN_STATE_PAUSED || previous == RUN_STATE_HELD ||
                     previous == RUN_STATE_INTERRUPTED
                 ? "resume"
                 : "start";
    case RUN_STATE_PAUSED:
      return "pause";
    case RUN_STATE_COMPLETED:
      return "completed";
    case RUN_STATE_ABORTED:
      return "aborted";
    case RUN_STATE_FAULTED:
      return "fault";
    case RUN_STATE_INTERRUPTED:
      return "interruption";
    case RUN_STATE_HELD:
      return "held";
    default:
      return "";
  }
}

std::string KindOf(const RigEvent& e, rollrig::v1::RunState* previous) {
  using namespace rollrig::v1;
  switch (e.kind()) {
    case RIG_EVENT_RUN_STATE: {
      const std::string kind = RunStateKind(e.run_state(), *previous);
      *previous = e.run_state();
      return kind;
    }
    case RIG_EVENT_LIMIT:
      return "limit";
    case RIG_EVENT_ESTOP_REQUESTED:
      return "estop";
    case RIG_EVENT_TELEMETRY_GAP:
    case RIG_EVENT_DEVICE_GAP:
      return "gap";
    case RIG_EVENT_DISCONNECTED:
      return "disconnect";
    case RIG_EVENT_CONNECTED:
      return "reconnect";
    case RIG_EVENT_FAULT_INJECTED:
      return "fault";
    case RIG_EVENT_DEVICE:
      return e.device().kind() == DEVICE_EVENT_FAULT_RAISED ? "fault" : "";
    case RIG_EVENT_DECODE_ERROR:
    case RIG_EVENT_FAULTS_CLEARED:
      return "other";
    default:  // lease, credentials, jog, cycle completed
      return "";
  }
}

std::string TextOf(const RigEvent& e) {
  std::string text = e.message();
  if (text.empty() && e.kind() == rollrig::v1::RIG_EVENT_LIMIT) text = e.limit().reason();
  if (text.empty() && e.kind() == rollrig::v1::RIG_EVENT_DEVICE) text = e.device().detail();
  if (e.kind() == rollrig::v1::RIG_EVENT_TELEMETRY_GAP && text.empty()) {
    text = absl::StrCat(e.gap_samples(), " samples lost");
  }
  if (e.kind() == rollrig::v1::RIG_EVENT_DEVICE_GAP && text.empty()) {
    text = absl::StrCat("device gone for ", static_cast<double>(e.gap_ns()) * 1e-9, " s (",
                        e.gap_samples(), " samples)");
  }
  if (!e.reason().empty() && text.find(e.reason()) == std::string::npos) {
    absl::StrAppend(&text, text.empty() ? "" : ": ", e.reason());
  }
  if (!e.who().empty() && text.find(e.who()) == std::string::npos) {
    absl::StrAppend(&text, " (", e.who(), ")");
  }
  return text;
}

}  // namespace

std::optional<PlotMarker> MarkerOf(const RigEvent& event, const EventClock& clock,
                                   rollrig::v1::RunState* previous_state) {
  std::string kind = KindOf(event, previous_state);
  if (kind.empty()) return std::nullopt;
  const std::optional<double> t = TimeOf(event, clock);
  if (!t) return std::nullopt;
  return PlotMarker{*t, std::move(kind), TextOf(event)};
}

std::vector<PlotMarker> MarkersFromEvents(const std::vector<RigEvent>& events,
                                          const EventClock& clock) {
  std::vector<PlotMarker> out;
  rollrig::v1::RunState state = rollrig::v1::RUN_STATE_UNSPECIFIED;
  for (const RigEvent& e : events) {
    if (std::optional<PlotMarker> m = MarkerOf(e, clock, &state)) out.push_back(std::move(*m));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const PlotMarker& a, const PlotMarker& b) { return a.t < b.t; });
  return out;
}

std::vector<double> CycleLines(const std::vector<rollrig::v1::CycleStats>& cycles,
                               bool run_goes_on) {
  std::vector<double> lines;
  for (const rollrig::v1::CycleStats& c : cycles) {
    if (c.cycle() > 1) lines.push_back(c.start_s());
  }
  if (run_goes_on && !cycles.empty()) lines.push_back(cycles.back().end_s());
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  return lines;
}

}  // namespace rollrig::gui
