// What the lab services beside the rig (the /metrics endpoint, the upload queue to
// S3-compatible storage) tell clients through GetStatus and GetUploads. rigd composes one
// from the services it runs; the gRPC service only reads it.
//
// Thread safety: both methods are called from gRPC threads, concurrently; implementations
// answer from a snapshot and never block on I/O.
#pragma once

#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::host {

class LabStatusSource {
 public:
  virtual ~LabStatusSource() = default;
  // Sets status->uploads (counts and last error, no items), lab_problems and
  // metrics_address; leaves the rest of `status` alone.
  virtual void FillStatus(rollrig::v1::RigStatus* status) const = 0;
  // The upload queue with its items (enabled = false without uploads).
  virtual rollrig::v1::UploadStatus Uploads() const = 0;
};

}  // namespace rollrig::host
