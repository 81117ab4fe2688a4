// Where a run's time goes, from the run times of its program samples: running the
// program (what an ETA and a cycle's length count), paused (the program held by a pause,
// between the device's PROGRAM_PAUSED and PROGRAM_RESUMED), and lost (a hold: the time
// from the last sample before the device was lost to the first after the restart, and
// the restarted cycle's first try). Each interval between two program samples goes to
// exactly one of them, so the three add up to the run time covered, to the sample.
//
// Promises: no allocation; deterministic; not thread-safe.
#pragma once

#include <cstdint>

namespace rollrig::host {

class RunTimeAccount {
 public:
  // The next program sample at run time t_us, the program paused since the previous one
  // (or not). Returns the interval since the previous sample (0 for the first, after a
  // Restart, or when time went backwards).
  uint64_t Add(uint64_t t_us, bool paused);
  // Continuity is broken by a hold: the interval to the next sample is lost time.
  void Break() { broken_ = true; }
  // A new stretch of samples begins (a resumed run's first): no interval to the next.
  void Restart() { have_last_ = false; }
  // `us` of running time turned out lost (a cycle cut short and restarted).
  void Lose(uint64_t us);
  // What an earlier stretch of the run counted (a resumed run).
  void Seed(double active_s, double paused_s, double lost_s);

  double active_s() const { return static_cast<double>(active_us_) / 1e6; }
  double paused_s() const { return static_cast<double>(paused_us_) / 1e6; }
  double lost_s() const { return static_cast<double>(lost_us_) / 1e6; }

 private:
  bool have_last_ = false;
  bool broken_ = false;
  uint64_t last_us_ = 0;
  uint64_t active_us_ = 0;
  uint64_t paused_us_ = 0;
  uint64_t lost_us_ = 0;
};

}  // namespace rollrig::host
