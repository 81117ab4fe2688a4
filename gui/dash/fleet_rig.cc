#include "gui/dash/fleet_rig.h"

#include "absl/strings/str_cat.h"
#include "rig/base/telemetry_channels.h"

namespace rollrig::gui {

SparklineBuffer::SparklineBuffer(size_t capacity) : ring_(capacity) {}

void SparklineBuffer::Push(float value) {
  std::lock_guard<std::mutex> lock(mu_);
  if (ring_.empty()) return;
  ring_[next_] = value;
  next_ = (next_ + 1) % ring_.size();
  size_ = std::min(size_ + 1, ring_.size());
}

void SparklineBuffer::CopyTo(std::vector<float>* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  out->resize(size_);
  const size_t first = (next_ + ring_.size() - size_) % std::max<size_t>(ring_.size(), 1);
  for (size_t i = 0; i < size_; ++i) (*out)[i] = ring_[(first + i) % ring_.size()];
}

size_t SparklineBuffer::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return size_;
}

FleetRig::FleetRig(client::RigListEntry entry, client::ClientSettings settings)
    : entry_(std::move(entry)), settings_(std::move(settings)), torque_(kSparklinePoints) {
  static const size_t kTorque = *FindChannel("torque_nm");
  RigClientPace pace;
  pace.telemetry_rate_hz = kFleetTelemetryHz;
  pace.poll_interval_s = kFleetPollInterval_s;
  pace.panels = false;
  client_ = std::make_unique<RigClient>(settings_, pace, /*series=*/nullptr,
                                        [this](const std::vector<TelemetryPoint>& points) {
                                          for (const TelemetryPoint& p : points) {
                                            if ((p.absent & ChannelBit(kTorque)) == 0)
                                              torque_.Push(p.v[kTorque]);
                                          }
                                        });
}

FleetRig::~FleetRig() { Stop(); }

void FleetRig::Start() { client_->Start(); }
void FleetRig::Stop() { client_->Stop(); }

FleetTile FleetRig::Tile() const {
  return MakeFleetTile(entry_.name, entry_.grpc_addr, client_->Snapshot());
}

absl::StatusOr<std::vector<client::ClientSettings>> FleetClientSettings(
    const client::ClientFlags& flags, const std::vector<client::RigListEntry>& list) {
  absl::StatusOr<client::ClientSources> sources = client::ReadClientSources();
  if (!sources.ok()) return sources.status();
  std::vector<client::ClientSettings> out;
  for (const client::RigListEntry& rig : list) {
    client::ClientFlags f = flags;
    f.addr = rig.grpc_addr;
    absl::StatusOr<client::ClientSettings> s = client::ResolveClientSettings(f, *sources);
    if (!s.ok()) {
      return absl::Status(s.status().code(),
                          absl::StrCat("rig '", rig.name, "': ", s.status().message()));
    }
    s->addr_from = absl::StrCat("rig '", rig.name, "' of the rig list");
    out.push_back(*std::move(s));
  }
  return out;
}

}  // namespace rollrig::gui
