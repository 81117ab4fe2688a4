#include "host/rigctl/json_text.h"

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace rollrig::host::rigctl {

std::string MessageJson(const google::protobuf::Message& m, bool pretty) {
  std::string json;
  google::protobuf::util::JsonPrintOptions po;
  po.add_whitespace = pretty;
  po.always_print_primitive_fields = true;
  po.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &json, po);
  if (!pretty) json += "\n";
  return json;
}

std::string MessageJsonWithList(const google::protobuf::Message& m, const std::string& name,
                                const google::protobuf::Message& list) {
  // Through Struct: proto JSON already prints 64-bit integers as strings, so nothing loses
  // precision on the way.
  google::protobuf::Struct doc, lists;
  (void)google::protobuf::util::JsonStringToMessage(MessageJson(m, false), &doc);
  (void)google::protobuf::util::JsonStringToMessage(MessageJson(list, false), &lists);
  google::protobuf::Value& member = (*doc.mutable_fields())[name];
  const auto found = lists.fields().find(name);
  if (found != lists.fields().end()) {
    member = found->second;
  } else {
    member.mutable_list_value();  // an empty list, not a missing member
  }
  std::string json;
  google::protobuf::util::JsonPrintOptions po;
  po.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(doc, &json, po);
  return json;
}

}  // namespace rollrig::host::rigctl
