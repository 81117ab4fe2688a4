#include "host/service/status_convert.h"

#include "enum_names.h"
#include "host/service/row_aggregator.h"

namespace rollrig::host {

void SnapshotToStatus(const DeviceSnapshot& snap, rollrig::v1::RigStatus* status) {
  status->set_connection(snap.connection);
  status->set_transport(snap.transport);
  if (snap.info) *status->mutable_device() = *snap.info;
  status->set_state(snap.state);
  status->set_faults(snap.faults);
  status->set_interlocks(snap.interlocks);
  for (const std::string& n : rollrig::v1::FaultDisplayNames(snap.faults))
    status->add_fault_names(n);
  for (const std::string& n : rollrig::v1::InterlockDisplayNames(snap.interlocks))
    status->add_interlock_names(n);
  if (snap.have_last) SampleToRow(snap.last, status->mutable_last());
  status->set_samples_received(snap.samples_received);
  status->set_samples_lost(snap.samples_lost);
  status->set_frames_dropped(snap.frames_dropped);
  status->set_bytes_dropped(snap.bytes_dropped);
  status->set_detail(snap.detail);
  status->set_roller_rpm_target(snap.roller_rpm_target);
  status->set_head_deg_target(snap.head_deg_target);
  status->set_preload_n_target(snap.preload_n_target);
}

}  // namespace rollrig::host
