#include "host/run_model/profile_analyzer.h"

#include <utility>
#include <vector>

namespace rollrig::run_model {

std::unique_ptr<host::RunAnalyzer> AnalyzerForProfile(const host::LoadedProfile& profile,
                                                      const host::RunSoFar* so_far) {
  std::vector<host::AnalyzerSegment> segments;
  for (const host::ProgramSegmentInfo& s : profile.segments) {
    segments.push_back(host::AnalyzerSegment{static_cast<int32_t>(s.index), s.label, s.limits});
  }
  auto analyzer = std::make_unique<host::RunAnalyzer>(
      std::vector<rollrig::v1::Limit>(profile.profile.limits().begin(),
                                      profile.profile.limits().end()),
      std::move(segments));
  if (so_far != nullptr) analyzer->Continue(*so_far);
  return analyzer;
}

}  // namespace rollrig::run_model
