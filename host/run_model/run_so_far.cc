#include "host/run_model/run_so_far.h"

#include <utility>

namespace rollrig::run_model {

namespace v1 = rollrig::v1;

host::RunSoFar RunSoFarFromRecord(const v1::RunInfo& run, std::vector<v1::CycleStats> cycles) {
  host::RunSoFar so_far;
  const v1::RunProgress& p = run.progress();
  so_far.run_time_s = p.elapsed_s();
  so_far.cycles = std::move(cycles);
  // Its verdict when rigd ended it (a shutdown), else the verdict so far (a crash).
  const v1::RunVerdict& verdict = run.verdict().limits_size() > 0 ? run.verdict() : run.judged();
  so_far.limits.assign(verdict.limits().begin(), verdict.limits().end());
  // A record from before the run's time was split counts its run time as program time.
  so_far.active_s = p.active_s() > 0 || p.paused_s() > 0 ? p.active_s() : p.elapsed_s();
  so_far.paused_s = p.paused_s();
  so_far.lost_s = p.held_s();
  so_far.samples_lost = p.samples_lost();
  so_far.gaps = p.gaps();
  so_far.first_gap_t_s = p.first_gap_t_s();
  return so_far;
}

host::RunSoFar RunSoFarFromModel(const RunModel& model) {
  const host::RunAnalyzer& a = model.analyzer();
  host::RunSoFar so_far;
  so_far.run_time_s = model.last_t_s();
  so_far.cycles = a.cycles();
  const v1::RunVerdict verdict = model.end() ? model.end()->verdict : a.Verdict();
  so_far.limits.assign(verdict.limits().begin(), verdict.limits().end());
  so_far.active_s = a.active_s();
  so_far.paused_s = a.paused_s();
  so_far.lost_s = a.lost_s();
  so_far.samples_lost = a.samples_lost();
  so_far.gaps = a.gaps();
  so_far.first_gap_t_s = a.first_gap_t_s();
  return so_far;
}

uint32_t NextCycle(const host::RunSoFar& so_far) {
  return so_far.cycles.empty() ? 1 : so_far.cycles.back().cycle() + 1;
}

}  // namespace rollrig::run_model
