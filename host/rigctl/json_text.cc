#include "host/rigctl/json_text.h"

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

}  // namespace rollrig::host::rigctl
