#include "host/profile_loader/profile_hash.h"

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "rig/base/sha256.h"

namespace rollrig::host {

std::string ProfileHash(const rollrig::v1::Profile& profile) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream string_stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&string_stream);
    coded.SetSerializationDeterministic(true);  // fixes map order; fields go by number
    profile.SerializeToCodedStream(&coded);
  }
  return Sha256Hex(bytes);
}

}  // namespace rollrig::host
