#include "host/run_model/verdict_line.h"

#include "absl/strings/str_cat.h"
#include "enum_names.h"

namespace rollrig::run_model {

namespace v1 = rollrig::v1;

std::string VerdictLine(const v1::RunVerdict& verdict, v1::RunState state,
                        const std::string& state_reason) {
  std::string line = absl::StrCat("verdict: ", v1::VerdictDisplayName(verdict.verdict()));
  if (!verdict.reason().empty()) absl::StrAppend(&line, " ", verdict.reason());
  if (state == v1::RUN_STATE_FAULTED || state == v1::RUN_STATE_INTERRUPTED) {
    absl::StrAppend(&line, " [", v1::RunStateDisplayName(state), ": ", state_reason, "]");
  }
  return line;
}

}  // namespace rollrig::run_model
