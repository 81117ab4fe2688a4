// One rig of the fleet view: a rig client at a low pace (status twice a second, telemetry
// at a few rows a second, events and the active run as they come) on its own threads, and a
// small ring of recent torque values for the tile's sparkline. The render loop reads copies
// and never waits for the network, so an unreachable rig cannot stall the frame.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gui/dash/fleet_tile.h"
#include "gui/dash/rig_client.h"
#include "host/client/client_settings.h"
#include "host/client/rig_list.h"

namespace rollrig::gui {

// The fleet's pace: what 50 rigs may cost together.
inline constexpr double kFleetTelemetryHz = 10;
inline constexpr double kFleetPollInterval_s = 0.5;
inline constexpr size_t kSparklinePoints = 200;  // 20 s at kFleetTelemetryHz

// The newest `capacity` values, oldest first when copied. Thread-safe.
class SparklineBuffer {
 public:
  explicit SparklineBuffer(size_t capacity);
  void Push(float value);
  void CopyTo(std::vector<float>* out) const;  // oldest first
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<float> ring_;
  size_t next_ = 0, size_ = 0;
};

class FleetRig {
 public:
  // `settings`: how to reach rigds (TLS, token); the address is the entry's.
  FleetRig(client::RigListEntry entry, client::ClientSettings settings);
  ~FleetRig();  // Stop()

  void Start();
  void Stop();

  const client::RigListEntry& entry() const { return entry_; }
  const std::string& name() const { return entry_.name; }
  const client::ClientSettings& settings() const { return settings_; }
  FleetTile Tile() const;
  void Sparkline(std::vector<float>* out) const { torque_.CopyTo(out); }
  size_t sparkline_points() const { return torque_.size(); }
  // Sent at once from the client's e-stop thread (retried; no lease needed).
  void EStop(const std::string& reason) { client_->EStop(reason); }
  uint64_t estops_sent() const { return client_->estops_sent(); }

 private:
  const client::RigListEntry entry_;
  const client::ClientSettings settings_;
  SparklineBuffer torque_;
  std::unique_ptr<RigClient> client_;
};

// The clients' settings for every rig of `list`: the flags' TLS CA and token (else the
// environment's and the config file's, as for one rig), each rig's own address.
absl::StatusOr<std::vector<client::ClientSettings>> FleetClientSettings(
    const client::ClientFlags& flags, const std::vector<client::RigListEntry>& list);

}  // namespace rollrig::gui
