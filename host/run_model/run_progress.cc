#include "host/run_model/run_progress.h"

#include <algorithm>
#include <cmath>

namespace rollrig::run_model {

void NoteRunProgress(const RunModel& model, const rollrig::v1::RunSpec& spec, double cycle_s,
                     rollrig::v1::RunProgress* p) {
  const host::RunAnalyzer& a = model.analyzer();
  p->set_elapsed_s(model.last_t_s());
  p->set_active_s(a.active_s());
  p->set_paused_s(a.paused_s());
  p->set_held_s(a.lost_s());
  p->set_samples_lost(a.samples_lost());
  p->set_gaps(static_cast<uint32_t>(a.gaps()));
  p->set_first_gap_t_s(a.first_gap_t_s());
  double planned = -1;
  if (spec.cycles() > 0) {
    planned = spec.cycles() * cycle_s;
  } else if (spec.duration_s() > 0 && cycle_s > 0) {
    planned = std::ceil(spec.duration_s() / cycle_s) * cycle_s;
  }
  p->set_eta_s(planned < 0 ? -1 : std::max(0.0, planned - a.active_s()));
}

}  // namespace rollrig::run_model
