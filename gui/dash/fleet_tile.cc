#include "gui/dash/fleet_tile.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "enum_names.h"

namespace rollrig::gui {
namespace {

using rollrig::v1::LimitResult;
using rollrig::v1::RunInfo;

FleetConnection ConnectionOf(LinkState link) {
  switch (link) {
    case LinkState::kConnected:
      return FleetConnection::kConnected;
    case LinkState::kDisconnected:
      return FleetConnection::kUnreachable;
    case LinkState::kConnecting:
      break;
  }
  return FleetConnection::kConnecting;
}

// Worse outcomes first: FAIL, ABORTED, MARGINAL, PASS, none.
int Severity(rollrig::v1::Verdict v) {
  switch (v) {
    case rollrig::v1::VERDICT_FAIL:
      return 4;
    case rollrig::v1::VERDICT_ABORTED:
      return 3;
    case rollrig::v1::VERDICT_MARGINAL:
      return 2;
    case rollrig::v1::VERDICT_PASS:
      return 1;
    default:
      return 0;
  }
}

struct Margin {
  double value = std::numeric_limits<double>::infinity();  // to the nearer bound; < 0: past it
  double relative = std::numeric_limits<double>::infinity();
  const char* side = "";
  double bound = 0;
};

// Relative to the band's width when the limit has both bounds, else to the bound itself.
Margin MarginOf(const LimitResult& l) {
  Margin m;
  const double band = l.has_min() && l.has_max() ? l.max() - l.min() : 0;
  auto consider = [&](bool has, double bound, double margin, const char* side) {
    if (!has) return;
    const double scale = band > 0 ? band : std::fabs(bound);
    const double relative = margin / std::max(scale, 1e-9);
    if (relative < m.relative) m = {margin, relative, side, bound};
  };
  consider(l.has_max(), l.max(), l.max() - l.worst_value(), "max");
  consider(l.has_min(), l.min(), l.worst_value() - l.min(), "min");
  return m;
}

std::string ProgressText(const RunInfo& run, double* fraction) {
  const auto& p = run.progress();
  *fraction = -1;
  if (p.cycles_total() > 0) {
    *fraction = std::clamp(static_cast<double>(p.cycles_completed()) / p.cycles_total(), 0.0, 1.0);
    return absl::StrFormat("cycle %u of %u (%u done)", std::max(p.cycle(), 1u), p.cycles_total(),
                           p.cycles_completed());
  }
  const double planned = run.spec().duration_s();
  if (planned > 0) {
    *fraction = std::clamp(p.elapsed_s() / planned, 0.0, 1.0);
    return absl::StrFormat("%.0f s of %.0f s (%u cycles done)", p.elapsed_s(), planned,
                           p.cycles_completed());
  }
  return absl::StrFormat("%.0f s, %u cycles done", p.elapsed_s(), p.cycles_completed());
}

void FillRun(const RunInfo& run, FleetTile* t) {
  t->has_run = true;
  t->run_id = run.id();
  t->run_state = rollrig::v1::RunStateDisplayName(run.state());
  t->run_active = rollrig::v1::RunIsActive(run.state());
  t->progress = ProgressText(run, &t->progress_fraction);
  // An active run's verdict so far is `judged`; a finished run's is `verdict`.
  const rollrig::v1::RunVerdict& v =
      rollrig::v1::RunIsFinal(run.state()) || !run.has_judged() ? run.verdict() : run.judged();
  if (v.verdict() != rollrig::v1::VERDICT_UNSPECIFIED) {
    t->verdict = rollrig::v1::VerdictDisplayName(v.verdict());
  }
  t->worst_limit = WorstLimitText(v);
}

}  // namespace

const char* FleetConnectionName(FleetConnection c) {
  switch (c) {
    case FleetConnection::kConnected:
      return "connected";
    case FleetConnection::kUnreachable:
      return "unreachable";
    case FleetConnection::kConnecting:
      break;
  }
  return "connecting";
}

std::string WorstLimitText(const rollrig::v1::RunVerdict& verdict) {
  const LimitResult* worst = nullptr;
  Margin worst_margin;
  for (const LimitResult& l : verdict.limits()) {
    const Margin m = MarginOf(l);
    const bool worse =
        !worst || Severity(l.outcome()) > Severity(worst->outcome()) ||
        (Severity(l.outcome()) == Severity(worst->outcome()) && m.relative < worst_margin.relative);
    if (worse) {
      worst = &l;
      worst_margin = m;
    }
  }
  if (!worst) return "";
  const std::string name = worst->name().empty() ? worst->measurement() : worst->name();
  if (!std::isfinite(worst_margin.value)) {
    return absl::StrFormat("%s: %s", name, rollrig::v1::VerdictDisplayName(worst->outcome()));
  }
  return absl::StrFormat("%s: %.3g (margin %.3g to %s %.3g)", name, worst->worst_value(),
                         worst_margin.value, worst_margin.side, worst_margin.bound);
}

FleetTile MakeFleetTile(const std::string& rig, const std::string& addr, const RigSnapshot& snap) {
  FleetTile t;
  t.rig = rig;
  t.addr = addr;
  t.connection = ConnectionOf(snap.link);
  t.connection_detail = snap.link_detail;
  if (t.connection != FleetConnection::kConnected) return t;  // old news would mislead
  if (snap.have_status) {
    t.state = rollrig::v1::StateDisplayName(snap.status.state());
    t.faults = absl::StrJoin(snap.status.fault_names(), ", ");
  }
  if (snap.have_run) FillRun(snap.run, &t);
  if (!snap.events.empty()) {
    const rollrig::v1::RigEvent& e = snap.events.back();
    t.last_event =
        e.message().empty() ? rollrig::v1::RigEventKindDisplayName(e.kind()) : e.message();
  }
  return t;
}

}  // namespace rollrig::gui
