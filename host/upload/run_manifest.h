// A run's manifest, PREFIX/SERIAL/RUN_ID/manifest.json: the run's files in order (name,
// key, size, SHA-256) and what the run was (serial, profile, state, verdict, times, host
// version), so a reader of the bucket sees the run as one. Deterministic: the same run
// and files give the same bytes (the queue rewrites it only when they change). Pure.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rollrig/v1/rig_service.pb.h"

namespace rollrig::upload {

struct ManifestFile {
  std::string name;
  std::string key;
  uint64_t size_bytes = 0;
  std::string sha256;
};

std::string RunManifestJson(const rollrig::v1::RunInfo& run, const std::string& serial,
                            const std::vector<ManifestFile>& files);

}  // namespace rollrig::upload
