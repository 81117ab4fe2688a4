#include "host/run_model/limit_event.h"

#include "absl/strings/str_cat.h"

namespace rollrig::run_model {

rollrig::v1::RigEvent LimitEvent(const std::string& run_id, const rollrig::v1::LimitResult& note) {
  rollrig::v1::RigEvent e;
  e.set_kind(rollrig::v1::RIG_EVENT_LIMIT);
  e.set_run_id(run_id);
  e.set_message(absl::StrCat("limit ", note.name(), ": ", note.reason()));
  *e.mutable_limit() = note;
  return e;
}

}  // namespace rollrig::run_model
