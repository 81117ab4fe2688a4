#include "host/upload/run_manifest.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace rollrig::upload {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Time(int64_t unix_ns) {
  if (unix_ns == 0) return "null";
  return Quote(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixNanos(unix_ns), absl::UTCTimeZone()));
}

std::string VerdictJson(const rollrig::v1::RunVerdict& verdict) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(verdict, &json, options).ok()) return "{}";
  return json;
}

std::string FileJson(const ManifestFile& f) {
  return absl::StrCat("    {\"name\": ", Quote(f.name), ", \"key\": ", Quote(f.key),
                      ", \"size_bytes\": ", f.size_bytes, ", \"sha256\": ", Quote(f.sha256), "}");
}

}  // namespace

std::string RunManifestJson(const rollrig::v1::RunInfo& run, const std::string& serial,
                            const std::vector<ManifestFile>& files) {
  std::string out = "{\n";
  absl::StrAppend(&out, "  \"format\": \"rollrig-run-manifest/1\",\n");
  absl::StrAppend(&out, "  \"run_id\": ", Quote(run.id()), ",\n");
  absl::StrAppend(&out, "  \"serial\": ", Quote(serial), ",\n");
  absl::StrAppend(&out, "  \"state\": ", Quote(rollrig::v1::RunState_Name(run.state())), ",\n");
  absl::StrAppend(&out, "  \"state_reason\": ", Quote(run.state_reason()), ",\n");
  absl::StrAppend(&out, "  \"profile\": ", Quote(run.profile_name()), ",\n");
  absl::StrAppend(&out, "  \"profile_hash\": ", Quote(run.profile_hash()), ",\n");
  absl::StrAppend(&out, "  \"started\": ", Time(run.started_unix_ns()), ",\n");
  absl::StrAppend(&out, "  \"ended\": ", Time(run.ended_unix_ns()), ",\n");
  absl::StrAppend(&out, "  \"started_unix_ns\": ", run.started_unix_ns(), ",\n");
  absl::StrAppend(&out, "  \"ended_unix_ns\": ", run.ended_unix_ns(), ",\n");
  absl::StrAppend(&out, "  \"host_version\": ", Quote(run.host_version()), ",\n");
  absl::StrAppend(&out, "  \"firmware_version\": ", Quote(run.firmware_version()), ",\n");
  absl::StrAppend(&out, "  \"started_by\": ", Quote(run.started_by()), ",\n");
  absl::StrAppend(&out, "  \"verdict\": ", VerdictJson(run.verdict()), ",\n");
  absl::StrAppend(&out, "  \"files\": [\n");
  for (size_t i = 0; i < files.size(); ++i) {
    absl::StrAppend(&out, FileJson(files[i]), i + 1 < files.size() ? ",\n" : "\n");
  }
  absl::StrAppend(&out, "  ]\n}\n");
  return out;
}

}  // namespace rollrig::upload
