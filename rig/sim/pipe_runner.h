// What SimRunner and ReplayRunner share: a device loop on a thread of its own, started by
// the subclass's Start() and joined by Stop(), and the device-to-host byte queue the host
// reads with ReadToHost().
//
// Flow control: a subclass moves device output into the queue only while
// host_pipe_has_room() (less than kHostPipeBytes queued), so a host that stops reading
// backs up into the device instead of growing the queue.
//
// Thread-safe as DevicePipe. mu_ guards the queue and the subclass's device; a subclass
// calls Stop() in its destructor (its Loop() must not outlive it).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "rig/sim/device_pipe.h"

namespace rollrig::sim {

class PipeRunner : public DevicePipe {
 public:
  static constexpr size_t kHostPipeBytes = 64 * 1024;

  // Ends the loop (it sees running_ false) and joins the thread; a second call does nothing.
  void Stop();

  // Waits up to timeout_ns for device output, then copies at most `cap` bytes; 0 on
  // timeout or once stopped.
  size_t ReadToHost(uint8_t* buf, size_t cap, int64_t timeout_ns) override;

 protected:
  PipeRunner() = default;

  // The device loop; it runs until running_ turns false.
  virtual void Loop() = 0;
  // With mu_ held and the runner not running: marks it running and launches Loop().
  void StartThreadLocked();

  // With mu_ held.
  bool host_pipe_has_room() const { return to_host_.size() - to_host_head_ < kHostPipeBytes; }
  // Where device output is appended, with mu_ held; a fully read queue is emptied first.
  std::vector<uint8_t>* host_pipe_back();
  void DiscardHostPipeLocked();

  std::mutex mu_;
  std::condition_variable output_ready_;  // device output arrived, or Stop()
  std::condition_variable wake_;          // Stop() interrupts the loop's wait
  bool running_ = false;

 private:
  std::vector<uint8_t> to_host_;
  size_t to_host_head_ = 0;  // bytes before it were already read
  std::thread thread_;
};

}  // namespace rollrig::sim
