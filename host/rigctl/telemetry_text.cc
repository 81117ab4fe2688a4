#include "host/rigctl/telemetry_text.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rollrig::host::rigctl {

std::string ChannelCsvHeader() {
  std::string out;
  for (const TelemetryChannel& c : kTelemetryChannels) {
    if (c.text.csv_decimals < 0) continue;
    absl::StrAppend(&out, out.empty() ? "" : ",", std::string(c.name));
  }
  return out;
}

std::string ChannelCsvCells(const google::protobuf::Message& m, const ChannelFields& fields) {
  std::string out;
  bool first = true;
  for (size_t i = 0; i < kTelemetryChannelCount; ++i) {
    const TelemetryChannel& c = kTelemetryChannels[i];
    if (c.text.csv_decimals < 0) continue;
    if (!first) out += ',';
    first = false;
    if (const std::optional<double> v = fields.Get(m, i)) {
      absl::StrAppendFormat(&out, "%.*f", c.text.csv_decimals, *v);
    }
  }
  return out;
}

std::string ChannelTableHeadings() {
  std::string out;
  for (const TelemetryChannel& c : kTelemetryChannels) {
    if (c.text.heading.empty()) continue;
    absl::StrAppendFormat(&out, " %*s", c.text.width, std::string(c.text.heading));
  }
  return out;
}

std::string ChannelTableCells(const google::protobuf::Message& m, const ChannelFields& fields) {
  std::string out;
  for (size_t i = 0; i < kTelemetryChannelCount; ++i) {
    const TelemetryChannel& c = kTelemetryChannels[i];
    if (c.text.heading.empty()) continue;
    if (const std::optional<double> v = fields.Get(m, i)) {
      absl::StrAppendFormat(&out, " %*.*f", c.text.width, c.text.decimals, *v);
    } else {
      absl::StrAppendFormat(&out, " %*s", c.text.width, "-");
    }
  }
  return out;
}

}  // namespace rollrig::host::rigctl
