#include "host/client/rig_list.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "host/client/client_settings.h"

namespace rollrig::client {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

// "rigs.json entry 2 (rig 'B')": where a problem is, for every error.
std::string EntryName(const std::string& source, int index, const std::string& rig) {
  std::string out = absl::StrCat(source, " entry ", index + 1);
  if (!rig.empty()) absl::StrAppend(&out, " (rig '", rig, "')");
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> ReadLabels(const Struct& group,
                                                              const std::string& where) {
  std::map<std::string, std::string> labels;
  auto it = group.fields().find("labels");
  if (it == group.fields().end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has no \"labels\" (it needs \"rig\" and \"grpc\")"));
  }
  if (it->second.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": \"labels\" is not an object"));
  }
  for (const auto& [key, value] : it->second.struct_value().fields()) {
    if (value.kind_case() != Value::kStringValue) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": label \"", key, "\" is not a string"));
    }
    labels[key] = value.string_value();
  }
  return labels;
}

absl::StatusOr<std::string> ReadTarget(const Struct& group, const std::string& where) {
  auto it = group.fields().find("targets");
  if (it == group.fields().end() || it->second.kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has no \"targets\" list (its metrics address, HOST:PORT)"));
  }
  const ListValue& targets = it->second.list_value();
  if (targets.values_size() != 1 || targets.values(0).kind_case() != Value::kStringValue) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": \"targets\" must hold exactly one \"HOST:PORT\" string (one rigd per entry)"));
  }
  const std::string target = targets.values(0).string_value();
  if (absl::Status s = CheckAddress(target, absl::StrCat(where, ": target")); !s.ok()) return s;
  return target;
}

absl::StatusOr<RigListEntry> ReadEntry(const Value& value, const std::string& source, int index) {
  if (value.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError(absl::StrCat(
        EntryName(source, index, ""), " is not an object {\"targets\": [...], \"labels\": {...}}"));
  }
  const Struct& group = value.struct_value();
  absl::StatusOr<std::map<std::string, std::string>> labels =
      ReadLabels(group, EntryName(source, index, ""));
  if (!labels.ok()) return labels.status();
  RigListEntry entry;
  entry.labels = *std::move(labels);
  entry.name = entry.labels.count("rig") ? entry.labels.at("rig") : "";
  if (entry.name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        EntryName(source, index, ""), " has no \"rig\" label (the rig's name, e.g. \"rig7\")"));
  }
  const std::string where = EntryName(source, index, entry.name);
  entry.grpc_addr = entry.labels.count("grpc") ? entry.labels.at("grpc") : "";
  if (entry.grpc_addr.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, " has no \"grpc\" label (rigd's gRPC address, HOST:PORT)"));
  }
  if (absl::Status s = CheckAddress(entry.grpc_addr, absl::StrCat(where, ": label grpc"));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> target = ReadTarget(group, where);
  if (!target.ok()) return target.status();
  entry.metrics_target = *std::move(target);
  return entry;
}

}  // namespace

absl::StatusOr<std::vector<RigListEntry>> ParseRigList(const std::string& json,
                                                       const std::string& source) {
  // Parsed as a google.protobuf.Value so that anything JSON parses; the shape is then checked
  // here, entry by entry, with errors that say which one.
  Value root;
  auto parsed = google::protobuf::util::JsonStringToMessage(json, &root);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, " is not valid JSON: ", std::string(parsed.message())));
  }
  if (root.kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, " is not a JSON list of rigs ([{\"targets\": [...], \"labels\": {...}}, ...])"));
  }
  std::vector<RigListEntry> rigs;
  std::set<std::string> names;
  for (int i = 0; i < root.list_value().values_size(); ++i) {
    absl::StatusOr<RigListEntry> entry = ReadEntry(root.list_value().values(i), source, i);
    if (!entry.ok()) return entry.status();
    if (!names.insert(entry->name).second) {
      return absl::InvalidArgumentError(absl::StrCat(EntryName(source, i, entry->name),
                                                     ": rig name '", entry->name,
                                                     "' is already used by an earlier entry"));
    }
    rigs.push_back(*std::move(entry));
  }
  if (rigs.empty()) return absl::InvalidArgumentError(absl::StrCat(source, " lists no rigs"));
  return rigs;
}

absl::StatusOr<std::vector<RigListEntry>> ReadRigList(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the rig list ", path));
  std::stringstream text;
  text << in.rdbuf();
  return ParseRigList(text.str(), path);
}

}  // namespace rollrig::client
