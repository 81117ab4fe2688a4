// What the dashboard's panels share across frames: the data sources (the live rig, an
// opened recording, a golden reference), the time window of the plots, and the operator's
// inputs. Owned by DashApp; used on the render thread only (the data inside the sources
// has its own locks).
#pragma once

#include <array>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "gui/dash/dash_options.h"
#include "gui/dash/estop_control.h"
#include "gui/dash/plot_layout.h"
#include "gui/dash/recording_loader.h"
#include "gui/dash/rig_client.h"
#include "gui/dash/run_history_source.h"
#include "gui/dash/series_set.h"
#include "gui/dash/trends_model.h"
#include "gui/plot/plot_marks.h"
#include "gui/plot/plot_widget.h"
#include "gui/plot/series_source.h"
#include "rig/base/telemetry_channels.h"

namespace rollrig::gui {

// A golden reference overlaid on the plots, moved to line up with what is shown.
struct GoldenReference {
  std::unique_ptr<LoadedRecording> recording;  // with its points kept
  SeriesSet shifted;                           // the points moved by `shift`
  double shift = 0;
  bool built = false;
  int align_cycle = 1;  // 0 = by run time only
};

struct DashState {
  DashOptions options;
  // Live mode: the rig. Null when a recording was opened from the command line.
  std::unique_ptr<SeriesSet> live;
  std::unique_ptr<RigClient> client;
  RigSnapshot snap;  // this frame's copy
  // A recording on screen instead of the live data (--open, or a run opened from rigd).
  std::unique_ptr<LoadedRecording> recording;
  std::future<absl::StatusOr<std::unique_ptr<LoadedRecording>>> loading;
  std::string loading_what;
  std::unique_ptr<GoldenReference> golden;
  std::future<absl::StatusOr<std::unique_ptr<LoadedRecording>>> golden_loading;
  std::string message;  // the last local problem (a file that would not open)

  // The shown run from its start (see shown_run.h): a run of rigd's through its history (the
  // active run, --run, or one opened from the runs panel), with the live rows joined; null
  // while a recording or plain live data is shown.
  std::unique_ptr<RunHistoryStore> history;
  bool history_pinned = false;  // chosen (--run, the runs panel): not replaced by the active run
  uint64_t history_generation = 0;  // of the summary the marks and trends were built from
  RunHistorySummary history_summary;
  rollrig::v1::RunInfo history_run;  // the shown run as rigd last described it
  std::string history_state;         // what it was refreshed on: state, cycles, events
  // What every plot draws besides the series: the shown run's events and cycle lines.
  PlotMarks marks;
  // Per-cycle statistics of the shown run; trend_stat: the one the panel shows.
  TrendsModel trends;
  int trend_stat = 0;
  // The shown run's channels on the plots' time axis (run time when run_time_axis), one per
  // channel of the table (null: nothing shown). They lock what they read: query them
  // without holding a SeriesSet's mutex.
  std::array<std::unique_ptr<SeriesSource>, kChannelCount> sources;
  const void* sources_of = nullptr;  // what `sources` were built for
  bool run_time_axis = false;
  const SeriesSource* source(Channel c) const { return sources[c].get(); }

  // The plots' shared time axis (x); each plot keeps its own y axis.
  PlotView view;
  PlotLayout layout;            // the plots shown, their y axes and cursor
  std::string live_limits_run;  // the run (id/text size) live_limits were taken from
  RunLimits live_limits;
  double window_s = 10;  // width of the window while following
  bool whole_run = false;
  double scrub_t = 0;

  // Inputs.
  float jog_rpm = 0, jog_head = 0, jog_preload = 0;
  bool hold_to_run = false;
  bool hold_active = false;
  double hold_last_sent = 0;
  int preset_index = 0;
  bool use_profile_file = false;
  char profile_path[512] = "";
  int run_cycles = 1;
  char dut_serial[64] = "";
  // An admin's pause/resume/stop of another identity's run: forced, with the reason rigd records.
  bool run_force = false;
  char run_force_reason[256] = "";
  char open_path[512] = "";
  char golden_path[512] = "";
  uint64_t downloads_seen = 0;

  ScreenRect estop_rect;
  uint64_t estops_pressed = 0;
  std::vector<PlotDrawStats> plot_stats;  // last frame's
  // The source the plots show this frame.
  const SeriesSet* shown() const { return recording ? recording->series.get() : live.get(); }
};

}  // namespace rollrig::gui
