// The telemetry channels as `rigctl` prints them (watch, export): the CSV columns and the
// fixed-width table columns, in channel-table order (rig/base/telemetry_channels.h). A
// channel the message lacks (an older recording or device) is an empty CSV cell and a
// "-" in the table, never a zero. Thread-compatible free functions.
#pragma once

#include <string>

#include "google/protobuf/message.h"
#include "rig/base/channel_fields.h"

namespace rollrig::host::rigctl {

// "roller_rpm_cmd,roller_rpm,...": the CSV channel columns, without separators around.
std::string ChannelCsvHeader();
// The values of those columns in `m` (a TelemetryRow or TelemetryRecord, with its fields).
std::string ChannelCsvCells(const google::protobuf::Message& m, const ChannelFields& fields);
// The table's channel headings and cells, each preceded by one space.
std::string ChannelTableHeadings();
std::string ChannelTableCells(const google::protobuf::Message& m, const ChannelFields& fields);

}  // namespace rollrig::host::rigctl
