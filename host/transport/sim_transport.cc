#include "host/transport/sim_transport.h"

namespace rollrig::host {

SimTransport::SimTransport(const sim::SimOptions& options, Clock* clock)
    : DevicePipeTransport("sim"), runner_(std::make_unique<sim::SimRunner>(options, clock)) {}

SimTransport::~SimTransport() {
  Close();
  runner_->Stop();
}

}  // namespace rollrig::host
