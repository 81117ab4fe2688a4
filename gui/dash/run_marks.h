// What a run's events and cycles put on the plots' time axis: markers (pause, resume, fault,
// limit, e-stop, gap, disconnect, ... with their text) and cycle lines, as PlotMarks.
//
// Pure functions over plain values; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "gui/plot/plot_marks.h"
#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::gui {

// How an event without RigEvent.run_time_s is placed on run time: by its device time when
// it has one (a DeviceEvent), else by its host time. Unset parts are not used.
struct EventClock {
  std::optional<double> device_time_zero_s;  // device time (s) at run time 0
  int64_t host_time_zero_ns = 0;             // host time at run time 0 (0: unknown)
};

// The marker of one event, or nothing for events that mark nothing on a time axis (lease,
// credentials, jog, cycle completed: cycles are lines). `previous_state` is the run's state
// before this event (so RUNNING after PAUSED is a resume) and is updated.
std::optional<PlotMarker> MarkerOf(const rollrig::v1::RigEvent& event, const EventClock& clock,
                                   rollrig::v1::RunState* previous_state);

// The markers of a run's events, by time.
std::vector<PlotMarker> MarkersFromEvents(const std::vector<rollrig::v1::RigEvent>& events,
                                          const EventClock& clock = {});

// The times at which cycles after the first began: each completed cycle's start after the
// first, and, while the run goes on, the start of the cycle after the last completed one.
std::vector<double> CycleLines(const std::vector<rollrig::v1::CycleStats>& cycles,
                               bool run_goes_on);

}  // namespace rollrig::gui
