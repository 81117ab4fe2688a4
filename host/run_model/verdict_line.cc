#include "host/run_model/verdict_line.h"

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace rollrig::run_model {

namespace v1 = rollrig::v1;

std::string VerdictName(v1::Verdict verdict) {
  if (verdict == v1::VERDICT_UNSPECIFIED) return "none";
  const std::string name = v1::Verdict_Name(verdict);
  return absl::StartsWith(name, "VERDICT_") ? name.substr(8) : name;
}

std::string RunStateName(v1::RunState state) {
  if (state == v1::RUN_STATE_UNSPECIFIED) return "unknown";
  std::string name = v1::RunState_Name(state);
  if (absl::StartsWith(name, "RUN_STATE_")) name = name.substr(10);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string VerdictLine(const v1::RunVerdict& verdict, v1::RunState state,
                        const std::string& state_reason) {
  std::string line = absl::StrCat("verdict: ", VerdictName(verdict.verdict()));
  if (!verdict.reason().empty()) absl::StrAppend(&line, " ", verdict.reason());
  if (state == v1::RUN_STATE_FAULTED || state == v1::RUN_STATE_INTERRUPTED) {
    absl::StrAppend(&line, " [", RunStateName(state), ": ", state_reason, "]");
  }
  return line;
}

}  // namespace rollrig::run_model
