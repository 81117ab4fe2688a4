#include "gui/dash/limit_bands.h"

#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "rollrig/v1/profile.pb.h"

namespace rollrig::gui {
namespace {

// Parse errors are validation's to report, with line and field; here they only mean "no
// bands", so they are not logged.
class QuietErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

void Merge(SignalLimit* into, const std::string& name, bool has_min, double min, bool has_max,
           double max) {
  // Several limits on one signal: the band shows the tightest of them.
  if (has_min && (!into->has_min || min > into->min)) {
    into->has_min = true;
    into->min = min;
  }
  if (has_max && (!into->has_max || max < into->max)) {
    into->has_max = true;
    into->max = max;
  }
  if ((has_min || has_max) && into->name.empty()) into->name = name;
}

}  // namespace

RunLimits LimitsFromProfileText(const std::string& text) {
  RunLimits out;
  rollrig::v1::Profile profile;
  google::protobuf::TextFormat::Parser parser;
  parser.AllowPartialMessage(true);
  QuietErrors quiet;
  parser.RecordErrorsTo(&quiet);
  if (!parser.ParseFromString(text, &profile)) return out;
  for (const rollrig::v1::Limit& l : profile.limits()) {
    if (l.measurement_case() != rollrig::v1::Limit::kSignal) continue;
    SignalLimit* into = l.signal() == rollrig::v1::SIGNAL_TORQUE_NM ? &out.torque_nm
                        : l.signal() == rollrig::v1::SIGNAL_FORCE_N ? &out.force_n
                                                                    : nullptr;
    if (into) Merge(into, l.name(), l.has_min(), l.min(), l.has_max(), l.max());
  }
  return out;
}

RunLimits LimitsFromVerdict(const rollrig::v1::RunVerdict& verdict) {
  RunLimits out;
  for (const rollrig::v1::LimitResult& l : verdict.limits()) {
    SignalLimit* into = l.measurement() == "torque_nm" ? &out.torque_nm
                        : l.measurement() == "force_n" ? &out.force_n
                                                       : nullptr;
    if (into) Merge(into, l.name(), l.has_min(), l.min(), l.has_max(), l.max());
  }
  return out;
}

}  // namespace rollrig::gui
