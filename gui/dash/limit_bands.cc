#include "gui/dash/limit_bands.h"

#include <optional>

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

void RunLimits::FillFrom(const RunLimits& fallback) {
  for (size_t c = 0; c < channels.size(); ++c) {
    if (!channels[c].has_min && !channels[c].has_max) channels[c] = fallback.channels[c];
  }
}

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
    const std::optional<size_t> channel = ChannelOfLimitSignal(l.signal());
    if (channel) Merge(&out.of(*channel), l.name(), l.has_min(), l.min(), l.has_max(), l.max());
  }
  return out;
}

RunLimits LimitsFromVerdict(const rollrig::v1::RunVerdict& verdict) {
  RunLimits out;
  for (const rollrig::v1::LimitResult& l : verdict.limits()) {
    const std::optional<size_t> channel = FindChannel(l.measurement());
    if (channel) Merge(&out.of(*channel), l.name(), l.has_min(), l.min(), l.has_max(), l.max());
  }
  return out;
}

}  // namespace rollrig::gui
