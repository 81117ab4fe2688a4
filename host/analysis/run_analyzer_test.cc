#include "host/analysis/run_analyzer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

namespace v1 = rollrig::v1;

constexpr uint64_t kStartUs = 5'000'000;  // device time of the run's first sample
constexpr uint64_t kPeriodUs = 1000;      // 1 kHz telemetry

// Run time of sample i, computed the way the analyzer does.
double RunTime(uint64_t i) { return static_cast<double>(i * kPeriodUs) / 1e6; }

// A quiet sample: everything well inside any limit the tests set.
Sample Quiet(uint64_t i, uint32_t cycle, int32_t segment) {
  Sample s;
  s.seq = 1000 + i;
  s.time_us = kStartUs + i * kPeriodUs;
  s.cycle = cycle;
  s.segment = segment;
  s.roller_rpm_cmd = 60;
  s.roller_rpm = 60;
  s.torque_nm = 0.5f;
  s.force_n = 50;
  s.current_a = 0.5f;
  s.temp_c = 30;
  return s;
}

v1::Limit Live(const std::string& name, v1::Signal signal) {
  v1::Limit limit;
  limit.set_name(name);
  limit.set_signal(signal);
  return limit;
}

v1::Limit PerCycle(const std::string& name, v1::CycleStatistic statistic) {
  v1::Limit limit;
  limit.set_name(name);
  limit.set_cycle_statistic(statistic);
  return limit;
}

v1::Limit TorqueMax(const std::string& name, double max, v1::LimitAction action) {
  v1::Limit limit = Live(name, v1::SIGNAL_TORQUE_NM);
  limit.set_max(max);
  limit.set_action(action);
  return limit;
}

void ExpectRelNear(double expected, double actual, const char* what) {
  EXPECT_LE(std::fabs(actual - expected), 1e-9 * std::fabs(expected))
      << what << ": expected " << expected << " got " << actual;
}

// Feeds samples 0..n-1 from `make` and returns the index after the last.
uint64_t Feed(RunAnalyzer* analyzer, uint64_t first, uint64_t n,
              const std::function<Sample(uint64_t)>& make) {
  for (uint64_t i = first; i < first + n; ++i) analyzer->AddSample(make(i));
  return first + n;
}

const v1::LimitResult* FindResult(const v1::RunVerdict& verdict, const std::string& name,
                                  int32_t scope = -2) {
  for (const v1::LimitResult& r : verdict.limits()) {
    if (r.name() == name && (scope == -2 || r.segment() == scope)) return &r;
  }
  return nullptr;
}

// ---- Cycle statistics ----

TEST(CycleStatisticsTest, ExactOnKnownSignals) {
  constexpr uint64_t kN = 1000;  // samples per cycle
  RunAnalyzer analyzer({}, {AnalyzerSegment{.index = 0, .label = "roll", .limits = {}}});
  // Cycle 1: torque ramp (i - 500) / 256; cycle 2: square wave +2.5 then -1.5; both with a
  // force ramp 10 + i/4, a constant tracking error of 0.5 rpm and a temperature ramp.
  // Every value is exact in float, so the closed forms hold to rounding of the sums.
  for (uint32_t cycle = 1; cycle <= 2; ++cycle) {
    for (uint64_t i = 0; i < kN; ++i) {
      Sample s = Quiet((cycle - 1) * kN + i, cycle, 0);
      const double k = static_cast<double>(i);
      if (cycle == 1) {
        s.torque_nm = static_cast<float>((k - 500) / 256);
      } else {
        s.torque_nm = i < kN / 2 ? 2.5f : -1.5f;
      }
      s.force_n = static_cast<float>(10 + k / 4);
      s.roller_rpm_cmd = 60;
      s.roller_rpm = 59.5f;
      s.temp_c = static_cast<float>(30 + k / 1024);
      s.current_a = -s.torque_nm;  // its magnitude counts, as torque's does
      analyzer.AddSample(s);
    }
  }
  analyzer.AddSample(Quiet(2 * kN, 0, -1));  // the program ends by itself
  analyzer.Finish(RunTime(2 * kN));

  ASSERT_EQ(analyzer.cycles().size(), 2u);
  EXPECT_EQ(analyzer.partial_cycle(), nullptr);
  const v1::CycleStats& ramp = analyzer.cycles()[0];
  EXPECT_EQ(ramp.cycle(), 1u);
  EXPECT_EQ(ramp.samples(), kN);
  EXPECT_DOUBLE_EQ(ramp.start_s(), RunTime(0));
  EXPECT_DOUBLE_EQ(ramp.end_s(), RunTime(kN - 1));
  // sum |i - 500| over 0..999 = 250000; sum (i - 500)^2 = 83333500.
  ExpectRelNear(500.0 / 256, ramp.peak_torque_nm(), "ramp peak");
  ExpectRelNear(250000.0 / 256 / kN, ramp.mean_torque_nm(), "ramp mean");
  ExpectRelNear(std::sqrt(83333500.0 / 65536 / kN), ramp.rms_torque_nm(), "ramp rms");
  ExpectRelNear(10 + 0.25 * 999 / 2, ramp.mean_force_n(), "mean force");
  ExpectRelNear(10 + 0.25 * 999, ramp.peak_force_n(), "peak force");
  ExpectRelNear(0.5, ramp.speed_rms_error_rpm(), "speed rms error");
  ExpectRelNear(30 + 999.0 / 1024, ramp.max_temperature_c(), "max temperature");
  ExpectRelNear(500.0 / 256, ramp.peak_current_a(), "ramp peak current");
  ExpectRelNear(std::sqrt(83333500.0 / 65536 / kN), ramp.rms_current_a(), "ramp rms current");

  const v1::CycleStats& square = analyzer.cycles()[1];
  EXPECT_EQ(square.cycle(), 2u);
  EXPECT_EQ(square.samples(), kN);
  EXPECT_DOUBLE_EQ(square.start_s(), RunTime(kN));
  EXPECT_DOUBLE_EQ(square.end_s(), RunTime(2 * kN - 1));
  ExpectRelNear(2.5, square.peak_torque_nm(), "square peak");
  ExpectRelNear(2.0, square.mean_torque_nm(), "square mean");
  ExpectRelNear(std::sqrt(4.25), square.rms_torque_nm(), "square rms");
  ExpectRelNear(0.5, square.speed_rms_error_rpm(), "square speed rms error");
  ExpectRelNear(2.5, square.peak_current_a(), "square peak current");
  ExpectRelNear(std::sqrt(4.25), square.rms_current_a(), "square rms current");
}

TEST(CycleStatisticsTest, SignedSpeedErrorAndSamplesOutsideTheProgramIgnored) {
  RunAnalyzer analyzer({}, {});
  // Before the program: huge values that must not reach any cycle.
  for (uint64_t i = 0; i < 10; ++i) {
    Sample s = Quiet(i, 0, -1);
    s.torque_nm = 100;
    analyzer.AddSample(s);
  }
  // Tracking error alternating +3 / -4 rpm: RMS = sqrt((9 + 16) / 2).
  for (uint64_t i = 10; i < 110; ++i) {
    Sample s = Quiet(i, 1, 0);
    s.roller_rpm = i % 2 == 0 ? 57.0f : 64.0f;
    analyzer.AddSample(s);
  }
  analyzer.AddSample(Quiet(110, 0, -1));
  ASSERT_EQ(analyzer.cycles().size(), 1u);
  const v1::CycleStats& c = analyzer.cycles()[0];
  EXPECT_EQ(c.samples(), 100u);
  EXPECT_DOUBLE_EQ(c.start_s(), RunTime(10));  // run time counts from the first sample seen
  ExpectRelNear(0.5, c.peak_torque_nm(), "peak torque");
  ExpectRelNear(std::sqrt(12.5), c.speed_rms_error_rpm(), "speed rms error");
}

// The device finishing its program closes the last cycle as complete (and checks it),
// even when no sample after the cycle arrived; after a stop it stays partial.
TEST(CycleStatisticsTest, ProgramFinishedCompletesTheLastCycle) {
  v1::Limit peak = PerCycle("peak torque", v1::CYCLE_STATISTIC_PEAK_TORQUE_NM);
  peak.set_max(1.0);
  RunAnalyzer finished({peak}, {});
  uint64_t i = Feed(&finished, 0, 500, [](uint64_t k) { return Quiet(k, 1, 0); });
  i = Feed(&finished, i, 300, [](uint64_t k) {
    Sample s = Quiet(k, 2, 0);
    s.torque_nm = 2.0f;
    return s;
  });
  finished.NoteProgramFinished();
  finished.Finish(RunTime(i));
  ASSERT_EQ(finished.cycles().size(), 2u);
  EXPECT_EQ(finished.partial_cycle(), nullptr);
  EXPECT_EQ(finished.cycles()[1].samples(), 300u);
  EXPECT_EQ(finished.Verdict().verdict(), v1::VERDICT_FAIL) << finished.Verdict().reason();

  RunAnalyzer stopped({peak}, {});
  i = Feed(&stopped, 0, 500, [](uint64_t k) { return Quiet(k, 1, 0); });
  i = Feed(&stopped, i, 300, [](uint64_t k) { return Quiet(k, 2, 0); });
  stopped.NoteStopped("stopped by alice@bench", RunTime(i));
  stopped.NoteProgramFinished();
  stopped.Finish(RunTime(i));
  EXPECT_EQ(stopped.cycles().size(), 1u);
  ASSERT_NE(stopped.partial_cycle(), nullptr);
}

TEST(CycleStatisticsTest, PartialLastCycleIsReportedButNotChecked) {
  v1::Limit peak = PerCycle("peak torque", v1::CYCLE_STATISTIC_PEAK_TORQUE_NM);
  peak.set_max(1.0);
  RunAnalyzer analyzer({peak}, {});
  uint64_t i = Feed(&analyzer, 0, 500, [](uint64_t k) { return Quiet(k, 1, 0); });
  i = Feed(&analyzer, i, 300, [](uint64_t k) {
    Sample s = Quiet(k, 2, 0);
    s.torque_nm = 2.0f;  // far above the cycle limit, but cycle 2 never completes
    return s;
  });
  analyzer.Finish(RunTime(i));

  ASSERT_EQ(analyzer.cycles().size(), 1u);
  ASSERT_NE(analyzer.partial_cycle(), nullptr);
  EXPECT_EQ(analyzer.partial_cycle()->cycle(), 2u);
  EXPECT_EQ(analyzer.partial_cycle()->samples(), 300u);
  ExpectRelNear(2.0, analyzer.partial_cycle()->peak_torque_nm(), "partial peak");
  const v1::RunVerdict verdict = analyzer.Verdict();
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_PASS) << verdict.reason();
  EXPECT_NE(verdict.reason().find("1 cycle and a partial one"), std::string::npos)
      << verdict.reason();
  const v1::LimitResult* r = FindResult(verdict, "peak torque");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->violations(), 0u);
  EXPECT_EQ(r->outcome(), v1::VERDICT_PASS);
}

TEST(CycleStatisticsTest, CycleLimitFailsNamingTheCycle) {
  v1::Limit mean_force = PerCycle("mean force", v1::CYCLE_STATISTIC_MEAN_FORCE_N);
  mean_force.set_min(40);
  mean_force.set_max(60);
  RunAnalyzer analyzer({mean_force}, {});
  uint64_t i = Feed(&analyzer, 0, 100, [](uint64_t k) { return Quiet(k, 1, 0); });
  i = Feed(&analyzer, i, 100, [](uint64_t k) {
    Sample s = Quiet(k, 2, 0);
    s.force_n = 30;
    return s;
  });
  i = Feed(&analyzer, i, 100, [](uint64_t k) { return Quiet(k, 3, 0); });
  analyzer.AddSample(Quiet(i, 0, -1));
  analyzer.Finish(RunTime(i));

  ASSERT_EQ(analyzer.cycles().size(), 3u);
  const v1::RunVerdict verdict = analyzer.Verdict();
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_FAIL);
  EXPECT_EQ(verdict.reason(),
            "cycle mean_force_n 30 N below min 40 (limit \"mean force\") at cycle 2, 0.199 s");
  const v1::LimitResult* r = FindResult(verdict, "mean force");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->measurement(), "cycle mean_force_n");
  EXPECT_EQ(r->violations(), 1u);
  EXPECT_EQ(r->cycle(), 2u);
  EXPECT_EQ(r->segment(), -1);
  EXPECT_DOUBLE_EQ(r->worst_value(), 30);
  EXPECT_DOUBLE_EQ(r->t_s(), RunTime(199));
  EXPECT_TRUE(r->has_min());
  EXPECT_TRUE(r->has_max());
  EXPECT_EQ(analyzer.violations(), 1u);
}

// ---- Limit checks ----

TEST(LimitCheckerTest, BoundsAndMarginalBands) {
  v1::Limit both = Live("torque", v1::SIGNAL_TORQUE_NM);
  both.set_min(1.0);
  both.set_max(2.5);
  both.set_marginal_band(0.25);
  LimitChecker checker(both, -1, LimitChecker::Kind::kSignal);
  using Level = LimitChecker::Level;
  double excess = 0;
  EXPECT_EQ(checker.Classify(2.0, &excess), Level::kInside);
  EXPECT_EQ(checker.Classify(2.25, &excess), Level::kMarginal);  // exactly the band away
  EXPECT_EQ(checker.Classify(2.5, &excess), Level::kMarginal);   // on the bound: inside
  EXPECT_EQ(excess, 0);
  EXPECT_EQ(checker.Classify(std::nextafter(2.5, 3.0), &excess), Level::kOutside);
  EXPECT_EQ(checker.Classify(1.25, &excess), Level::kMarginal);
  EXPECT_EQ(checker.Classify(1.26, &excess), Level::kInside);
  EXPECT_EQ(checker.Classify(0.5, &excess), Level::kOutside);
  EXPECT_DOUBLE_EQ(excess, 0.5);
  EXPECT_EQ(checker.Classify(std::nan(""), &excess), Level::kOutside);

  v1::Limit max_only = Live("t", v1::SIGNAL_TEMPERATURE_C);
  max_only.set_max(80);
  LimitChecker no_band(max_only, -1, LimitChecker::Kind::kSignal);
  EXPECT_EQ(no_band.Classify(-1e9, &excess), Level::kInside);
  EXPECT_EQ(no_band.Classify(80, &excess), Level::kInside);  // no band: no marginal
  EXPECT_EQ(no_band.Classify(80.01, &excess), Level::kOutside);
}

TEST(RunAnalyzerTest, SignalsAreTheDocumentedMagnitudes) {
  auto limit = [](const char* name, v1::Signal signal, double max) {
    v1::Limit l = Live(name, signal);
    l.set_max(max);
    return l;
  };
  RunAnalyzer analyzer(
      {limit("torque", v1::SIGNAL_TORQUE_NM, 1.0), limit("force", v1::SIGNAL_FORCE_N, 100),
       limit("speed", v1::SIGNAL_SPEED_ERROR_RPM, 5), limit("head", v1::SIGNAL_HEAD_ERROR_DEG, 2),
       limit("temperature", v1::SIGNAL_TEMPERATURE_C, 80),
       limit("current", v1::SIGNAL_CURRENT_A, 1.5)},
      {});
  Sample s = Quiet(0, 1, 0);
  s.torque_nm = -1.25f;    // |torque| 1.25 > 1
  s.force_n = -150;        // signed: -150 is not above 100
  s.roller_rpm_cmd = -60;  // |cmd - actual| = 6 > 5
  s.roller_rpm = -54;
  s.head_deg_cmd = 10;  // |10 - 13| = 3 > 2
  s.head_deg = 13;
  s.temp_c = 79;
  s.current_a = -1.75f;  // |current| 1.75 > 1.5
  analyzer.AddSample(s);
  const v1::RunVerdict verdict = analyzer.Verdict();
  EXPECT_DOUBLE_EQ(FindResult(verdict, "torque")->worst_value(), 1.25);
  EXPECT_EQ(FindResult(verdict, "torque")->violations(), 1u);
  EXPECT_EQ(FindResult(verdict, "force")->violations(), 0u);
  EXPECT_DOUBLE_EQ(FindResult(verdict, "speed")->worst_value(), 6);
  EXPECT_EQ(FindResult(verdict, "speed")->violations(), 1u);
  EXPECT_DOUBLE_EQ(FindResult(verdict, "head")->worst_value(), 3);
  EXPECT_EQ(FindResult(verdict, "head")->violations(), 1u);
  EXPECT_EQ(FindResult(verdict, "temperature")->violations(), 0u);
  EXPECT_DOUBLE_EQ(FindResult(verdict, "current")->worst_value(), 1.75);
  EXPECT_EQ(analyzer.violations(), 4u);
}

TEST(RunAnalyzerTest, PersistenceCountsAtTheExactSample) {
  v1::Limit stall = TorqueMax("stall", 2.5, v1::LIMIT_ACTION_FAIL);
  stall.set_persist_s(0.005);  // 5 samples at 1 kHz
  RunAnalyzer analyzer({stall}, {});
  auto torque_at = [](uint64_t i, float torque) {
    Sample s = Quiet(i, 1, 0);
    s.torque_nm = torque;
    return s;
  };
  uint64_t i = Feed(&analyzer, 0, 100, [](uint64_t k) { return Quiet(k, 1, 0); });
  // A 5-sample blip (4 ms long): below the persistence, not a violation, not the worst.
  i = Feed(&analyzer, i, 5, [&](uint64_t k) { return torque_at(k, 9.0f); });  // 100..104
  i = Feed(&analyzer, i, 10, [](uint64_t k) { return Quiet(k, 1, 0); });
  EXPECT_EQ(analyzer.violations(), 0u);
  EXPECT_TRUE(analyzer.TakeNewViolations().empty());
  EXPECT_DOUBLE_EQ(FindResult(analyzer.Verdict(), "stall")->worst_value(), 0.5);

  // A sustained excursion from sample 115: counts at sample 120, 5 ms after it began.
  const uint64_t start = i;
  for (; i < start + 5; ++i) {
    analyzer.AddSample(torque_at(i, 2.75f));
    EXPECT_EQ(analyzer.violations(), 0u) << "sample " << i;
  }
  analyzer.AddSample(torque_at(i, 2.625f));
  EXPECT_EQ(analyzer.violations(), 1u);
  const std::vector<v1::LimitResult> events = analyzer.TakeNewViolations();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name(), "stall");
  EXPECT_EQ(events[0].outcome(), v1::VERDICT_FAIL);
  EXPECT_DOUBLE_EQ(events[0].t_s(), RunTime(start + 5));
  EXPECT_DOUBLE_EQ(events[0].worst_value(), 2.625);  // the value that made it count
  // The worst value includes the excursion's samples before it counted.
  const v1::RunVerdict verdict = analyzer.Verdict();
  const v1::LimitResult* r = FindResult(verdict, "stall");
  EXPECT_DOUBLE_EQ(r->worst_value(), 2.75);
  EXPECT_DOUBLE_EQ(r->t_s(), RunTime(start));
}

TEST(RunAnalyzerTest, SettleSkipsTheStartOfEverySegmentExactly) {
  v1::Limit tracking = Live("tracking", v1::SIGNAL_SPEED_ERROR_RPM);
  tracking.set_max(5);
  tracking.set_settle_s(0.010);  // 10 samples
  RunAnalyzer analyzer({tracking}, {});
  auto big_error = [](uint64_t i, uint32_t cycle, int32_t segment) {
    Sample s = Quiet(i, cycle, segment);
    s.roller_rpm = 40;  // 20 rpm behind
    return s;
  };
  // Segment 0 of cycle 1 starts at sample 0: samples 0..9 settle, sample 10 is checked.
  for (uint64_t i = 0; i < 10; ++i) analyzer.AddSample(big_error(i, 1, 0));
  EXPECT_EQ(analyzer.violations(), 0u);
  analyzer.AddSample(big_error(10, 1, 0));
  EXPECT_EQ(analyzer.violations(), 1u);
  // Segment 1 from sample 11: settles again until sample 21.
  for (uint64_t i = 11; i < 21; ++i) analyzer.AddSample(big_error(i, 1, 1));
  EXPECT_EQ(analyzer.violations(), 1u);
  analyzer.AddSample(big_error(21, 1, 1));
  EXPECT_EQ(analyzer.violations(), 2u);
  // Cycle 2 restarts segment 1 (the same index): it settles again.
  for (uint64_t i = 22; i < 32; ++i) analyzer.AddSample(big_error(i, 2, 1));
  EXPECT_EQ(analyzer.violations(), 2u);
  analyzer.AddSample(big_error(32, 2, 1));
  EXPECT_EQ(analyzer.violations(), 3u);
  const v1::RunVerdict verdict = analyzer.Verdict();
  const v1::LimitResult* r = FindResult(verdict, "tracking");
  EXPECT_EQ(r->violations(), 3u);
  EXPECT_DOUBLE_EQ(r->t_s(), RunTime(10));  // all equal: the first worst stays
}

TEST(RunAnalyzerTest, SamplesWithoutAProgramAreNotChecked) {
  RunAnalyzer analyzer({TorqueMax("torque", 1.0, v1::LIMIT_ACTION_FAIL)}, {});
  Sample before = Quiet(0, 0, -1);
  before.torque_nm = 5;
  analyzer.AddSample(before);
  analyzer.AddSample(Quiet(1, 1, 0));
  analyzer.AddSample(Quiet(2, 0, -1));
  Sample ramp_down = Quiet(3, 0, -1);
  ramp_down.torque_nm = 5;
  analyzer.AddSample(ramp_down);
  analyzer.Finish(RunTime(4));
  EXPECT_EQ(analyzer.Verdict().verdict(), v1::VERDICT_PASS);
  EXPECT_EQ(analyzer.violations(), 0u);
}

TEST(RunAnalyzerTest, HeadCurrentLimitChecksTheChannel) {
  v1::Limit limit = Live("head servo", v1::SIGNAL_HEAD_CURRENT_A);
  limit.set_max(0.3);
  limit.set_action(v1::LIMIT_ACTION_FAIL);
  RunAnalyzer analyzer({limit}, {});
  for (uint64_t i = 0; i < 10; ++i) {
    Sample s = Quiet(i, 1, 0);
    s.head_current_a = i == 5 ? 0.45f : 0.07f;
    analyzer.AddSample(s);
  }
  analyzer.Finish(RunTime(10));
  const v1::RunVerdict v = analyzer.Verdict();
  EXPECT_EQ(v.verdict(), v1::VERDICT_FAIL);
  ASSERT_EQ(v.limits_size(), 1);
  EXPECT_EQ(v.limits(0).measurement(), "head_current_a");
  EXPECT_NEAR(v.limits(0).worst_value(), 0.45, 1e-6);
  EXPECT_THAT(v.reason(), HasSubstr("head_current_a 0.45 A above max 0.3"));
}

TEST(RunAnalyzerTest, ALimitOnAChannelTheRecordingLacksSaysItIsAbsent) {
  // A recording from before head_current_a existed: its samples lack the channel. The
  // limit is not checked -- not passed on zeros -- and says why.
  v1::Limit limit = Live("head servo", v1::SIGNAL_HEAD_CURRENT_A);
  limit.set_max(0.3);
  limit.set_min(0.01);  // a zero would be outside: absence must not read as one
  RunAnalyzer analyzer({limit}, {});
  const size_t channel = *FindChannel("head_current_a");
  for (uint64_t i = 0; i < 10; ++i) {
    Sample s = Quiet(i, 1, 0);
    s.absent_channels = ChannelBit(channel);
    analyzer.AddSample(s);
  }
  analyzer.Finish(RunTime(10));
  const v1::RunVerdict v = analyzer.Verdict();
  ASSERT_EQ(v.limits_size(), 1);
  EXPECT_EQ(v.limits(0).outcome(), v1::VERDICT_UNSPECIFIED);
  EXPECT_EQ(v.limits(0).violations(), 0u);
  EXPECT_THAT(v.limits(0).reason(), HasSubstr("head_current_a is absent"));
  EXPECT_EQ(analyzer.violations(), 0u);
}

TEST(RunAnalyzerTest, RecordFailAndAbortActions) {
  // RECORD: noted, never changes the run verdict.
  {
    RunAnalyzer analyzer({TorqueMax("note", 1.0, v1::LIMIT_ACTION_RECORD)}, {});
    Sample s = Quiet(0, 1, 0);
    s.torque_nm = 2;
    analyzer.AddSample(s);
    analyzer.AddSample(Quiet(1, 0, -1));
    analyzer.Finish(RunTime(2));
    const v1::RunVerdict verdict = analyzer.Verdict();
    EXPECT_EQ(verdict.verdict(), v1::VERDICT_PASS) << verdict.reason();
    EXPECT_NE(verdict.reason().find("1 recorded limit exceeded"), std::string::npos);
    EXPECT_EQ(verdict.limits(0).outcome(), v1::VERDICT_MARGINAL);
    EXPECT_EQ(verdict.limits(0).violations(), 1u);
    EXPECT_FALSE(analyzer.abort_requested());
  }
  // FAIL and UNSPECIFIED: the run goes on, the verdict is FAIL.
  for (v1::LimitAction action : {v1::LIMIT_ACTION_FAIL, v1::LIMIT_ACTION_UNSPECIFIED}) {
    RunAnalyzer analyzer({TorqueMax("fail", 1.0, action)}, {});
    Sample s = Quiet(0, 1, 0);
    s.torque_nm = 2;
    analyzer.AddSample(s);
    analyzer.AddSample(Quiet(1, 2, 0));
    analyzer.AddSample(Quiet(2, 0, -1));
    analyzer.Finish(RunTime(3));
    EXPECT_FALSE(analyzer.abort_requested());
    EXPECT_EQ(analyzer.cycles().size(), 2u);  // analysis went on after the violation
    const v1::RunVerdict verdict = analyzer.Verdict();
    EXPECT_EQ(verdict.verdict(), v1::VERDICT_FAIL);
    EXPECT_EQ(verdict.limits(0).outcome(), v1::VERDICT_FAIL);
  }
  // ABORT: abort_requested at once; the run ends there.
  {
    v1::Limit stall = TorqueMax("stall", 2.5, v1::LIMIT_ACTION_ABORT);
    RunAnalyzer analyzer({stall}, {AnalyzerSegment{.index = 3, .label = "knead", .limits = {}}});
    uint64_t i = Feed(&analyzer, 0, 1000, [](uint64_t k) { return Quiet(k, 1, 3); });
    i = Feed(&analyzer, i, 200, [](uint64_t k) { return Quiet(k, 2, 3); });
    EXPECT_FALSE(analyzer.abort_requested());
    Sample s = Quiet(i, 2, 3);
    s.torque_nm = 2.98f;
    analyzer.AddSample(s);
    EXPECT_TRUE(analyzer.abort_requested());
    ASSERT_NE(analyzer.abort_cause(), nullptr);
    EXPECT_EQ(analyzer.abort_cause()->name(), "stall");
    EXPECT_EQ(analyzer.abort_cause()->outcome(), v1::VERDICT_ABORTED);
    EXPECT_EQ(analyzer.abort_cause()->cycle(), 2u);
    // Later samples (the ramp-down) are not the test.
    Feed(&analyzer, i + 1, 100, [](uint64_t k) {
      Sample late = Quiet(k, 2, 3);
      late.torque_nm = 4;
      return late;
    });
    analyzer.Finish(RunTime(i + 101));
    const v1::RunVerdict verdict = analyzer.Verdict();
    EXPECT_EQ(verdict.verdict(), v1::VERDICT_ABORTED);
    EXPECT_EQ(verdict.reason(),
              "limit \"stall\" aborted the run: torque_nm 2.98 N·m above max 2.5 at cycle 2, "
              "segment 3 \"knead\", 1.2 s");
    EXPECT_EQ(analyzer.violations(), 1u);
    ASSERT_EQ(analyzer.cycles().size(), 1u);
    ASSERT_NE(analyzer.partial_cycle(), nullptr);
    EXPECT_EQ(analyzer.partial_cycle()->samples(), 201u);
  }
}

TEST(RunAnalyzerTest, SegmentLimitsApplyOnlyInTheirSegment) {
  v1::Limit gentle = TorqueMax("gentle", 1.0, v1::LIMIT_ACTION_FAIL);
  RunAnalyzer analyzer({}, {AnalyzerSegment{.index = 0, .label = "warm-up", .limits = {}},
                            AnalyzerSegment{.index = 1, .label = "glide", .limits = {gentle}},
                            AnalyzerSegment{.index = 2, .label = "knead", .limits = {}}});
  auto strong = [](uint64_t i, int32_t segment) {
    Sample s = Quiet(i, 1, segment);
    s.torque_nm = 2;
    return s;
  };
  uint64_t i = Feed(&analyzer, 0, 50, [&](uint64_t k) { return strong(k, 0); });
  i = Feed(&analyzer, i, 50, [&](uint64_t k) { return Quiet(k, 1, 1); });
  i = Feed(&analyzer, i, 50, [&](uint64_t k) { return strong(k, 2); });
  EXPECT_EQ(analyzer.violations(), 0u);
  i = Feed(&analyzer, i, 1, [&](uint64_t k) {
    Sample s = Quiet(k, 2, 1);
    s.torque_nm = 1.5f;
    return s;
  });
  EXPECT_EQ(analyzer.violations(), 1u);
  const v1::RunVerdict verdict = analyzer.Verdict();
  const v1::LimitResult* r = FindResult(verdict, "gentle");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->segment(), 1);
  EXPECT_EQ(r->segment_label(), "glide");
  EXPECT_EQ(r->cycle(), 2u);
  EXPECT_DOUBLE_EQ(r->worst_value(), 1.5);
  EXPECT_EQ(verdict.reason(),
            "torque_nm 1.5 N·m above max 1 (limit \"gentle\") at cycle 2, segment 1 \"glide\", "
            "0.15 s");
}

TEST(RunAnalyzerTest, SegmentLimitIsReportedOncePerSegment) {
  v1::Limit peak = PerCycle("segment peak", v1::CYCLE_STATISTIC_PEAK_TORQUE_NM);
  peak.set_max(1);
  v1::Limit torque = TorqueMax("torque", 1.0, v1::LIMIT_ACTION_FAIL);
  RunAnalyzer analyzer({TorqueMax("run", 3.0, v1::LIMIT_ACTION_FAIL)},
                       {AnalyzerSegment{.index = 4, .label = "b", .limits = {torque}},
                        AnalyzerSegment{.index = 2, .label = "a", .limits = {torque, peak}}});
  analyzer.AddSample(Quiet(0, 1, 2));
  const v1::RunVerdict verdict = analyzer.Verdict();
  ASSERT_EQ(verdict.limits_size(), 4);
  EXPECT_EQ(verdict.limits(0).name(), "run");
  EXPECT_EQ(verdict.limits(1).segment_label(), "a");  // segments in index order
  EXPECT_EQ(verdict.limits(1).outcome(), v1::VERDICT_PASS);
  EXPECT_EQ(verdict.limits(2).name(), "segment peak");
  EXPECT_EQ(verdict.limits(2).outcome(), v1::VERDICT_UNSPECIFIED);
  EXPECT_EQ(verdict.limits(2).reason(),
            "not checked: cycle statistics apply as run-wide limits only");
  EXPECT_EQ(verdict.limits(3).segment(), 4);
  EXPECT_EQ(verdict.limits(3).segment_label(), "b");
  EXPECT_EQ(verdict.limits(3).outcome(), v1::VERDICT_UNSPECIFIED);  // segment 4 never ran
}

TEST(RunAnalyzerTest, WorstValueCarriesItsCycleSegmentAndTime) {
  v1::Limit temperature = Live("winding", v1::SIGNAL_TEMPERATURE_C);
  temperature.set_max(80);
  temperature.set_marginal_band(10);
  RunAnalyzer analyzer({temperature}, {AnalyzerSegment{.index = 0, .label = "a", .limits = {}},
                                       AnalyzerSegment{.index = 1, .label = "b", .limits = {}}});
  uint64_t i = 0;
  for (uint32_t cycle = 1; cycle <= 3; ++cycle) {
    for (int32_t segment = 0; segment < 2; ++segment) {
      for (int k = 0; k < 100; ++k, ++i) {
        Sample s = Quiet(i, cycle, segment);
        s.temp_c = 40 + static_cast<float>(i % 37);  // peaks of 76, none above 80
        if (cycle == 2 && segment == 1 && k == 42) s.temp_c = 78.5f;
        analyzer.AddSample(s);
      }
    }
  }
  analyzer.AddSample(Quiet(i, 0, -1));
  analyzer.Finish(RunTime(i));
  const v1::RunVerdict verdict = analyzer.Verdict();
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_MARGINAL);
  const v1::LimitResult* r = FindResult(verdict, "winding");
  EXPECT_EQ(r->outcome(), v1::VERDICT_MARGINAL);
  EXPECT_DOUBLE_EQ(r->worst_value(), 78.5);
  EXPECT_EQ(r->cycle(), 2u);
  EXPECT_EQ(r->segment(), 1);
  EXPECT_EQ(r->segment_label(), "b");
  EXPECT_DOUBLE_EQ(r->t_s(), RunTime(342));
  EXPECT_EQ(r->reason(), "temperature_c 78.5 °C within 10 of max 80");
  EXPECT_EQ(verdict.reason(),
            "temperature_c 78.5 °C within 10 of max 80 (limit \"winding\") at cycle 2, segment 1 "
            "\"b\", 0.342 s");
}

// ---- Faults, stops and precedence ----

TEST(RunAnalyzerTest, StallFaultAbortsNamingTheTorque) {
  RunAnalyzer analyzer({TorqueMax("torque", 3.5, v1::LIMIT_ACTION_FAIL)},
                       {AnalyzerSegment{.index = 3, .label = "knead", .limits = {}}});
  uint64_t i = Feed(&analyzer, 0, 41200, [](uint64_t k) {
    Sample s = Quiet(k, k < 20000 ? 1 : 2, 3);
    if (k == 41199) s.torque_nm = -2.98f;
    return s;
  });
  analyzer.NoteFault(v1::FAULT_STALL, 2.98, analyzer.run_time_s(kStartUs + (i - 1) * kPeriodUs));
  const v1::RunVerdict verdict = analyzer.Verdict();
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_ABORTED);
  EXPECT_EQ(verdict.reason(),
            "stall: torque 2.98 N·m at the current limit (motor current 2.98 A) at cycle 2, "
            "segment 3 \"knead\", 41.199 s");
  const v1::LimitResult* fault = FindResult(verdict, "fault stall");
  ASSERT_NE(fault, nullptr);
  EXPECT_EQ(fault->measurement(), "fault stall");
  EXPECT_EQ(fault->outcome(), v1::VERDICT_ABORTED);
  EXPECT_NEAR(fault->worst_value(), 2.98, 1e-6);
  EXPECT_EQ(fault->cycle(), 2u);
  EXPECT_EQ(fault->segment(), 3);
  EXPECT_FALSE(analyzer.abort_requested());  // the device already stopped itself
  ASSERT_NE(analyzer.partial_cycle(), nullptr);
  EXPECT_EQ(analyzer.cycles().size(), 1u);
}

TEST(RunAnalyzerTest, OtherFaultsNameTheirMeasurement) {
  RunAnalyzer analyzer({}, {});
  analyzer.AddSample(Quiet(0, 7, 0));
  analyzer.NoteFault(v1::FAULT_OVER_TEMPERATURE, 100.25, 0);
  EXPECT_EQ(analyzer.Verdict().reason(),
            "over-temperature: winding 100.2 °C at cycle 7, segment 0, 0 s");
}

TEST(RunAnalyzerTest, StopByAPersonAborts) {
  RunAnalyzer analyzer({}, {AnalyzerSegment{.index = 0, .label = "glide", .limits = {}}});
  const uint64_t i = Feed(&analyzer, 0, 12345, [](uint64_t k) { return Quiet(k, 1, 0); });
  analyzer.NoteStopped("stopped by alice@bench", RunTime(i - 1));
  analyzer.Finish(RunTime(i));
  const v1::RunVerdict verdict = analyzer.Verdict();
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_ABORTED);
  EXPECT_EQ(verdict.reason(), "stopped by alice@bench at cycle 1, segment 0 \"glide\", 12.344 s");
  ASSERT_NE(analyzer.partial_cycle(), nullptr);
  EXPECT_TRUE(analyzer.cycles().empty());
}

TEST(RunAnalyzerTest, VerdictPrecedence) {
  v1::Limit marginal = TorqueMax("marginal", 2.0, v1::LIMIT_ACTION_FAIL);
  marginal.set_marginal_band(0.5);
  v1::Limit fail = Live("force", v1::SIGNAL_FORCE_N);
  fail.set_max(100);
  auto make = [&] {
    return std::make_unique<RunAnalyzer>(std::vector{marginal, fail},
                                         std::vector<AnalyzerSegment>{});
  };
  Sample near = Quiet(0, 1, 0);
  near.torque_nm = 1.75f;
  Sample over = Quiet(1, 1, 0);
  over.force_n = 120;

  auto a = make();  // nothing: PASS
  a->AddSample(Quiet(0, 1, 0));
  EXPECT_EQ(a->Verdict().verdict(), v1::VERDICT_PASS);
  a->AddSample(near);  // MARGINAL
  EXPECT_EQ(a->Verdict().verdict(), v1::VERDICT_MARGINAL);
  a->AddSample(over);  // FAIL beats MARGINAL
  EXPECT_EQ(a->Verdict().verdict(), v1::VERDICT_FAIL);
  EXPECT_EQ(a->Verdict().reason(),
            "force_n 120 N above max 100 (limit \"force\") at cycle 1, segment 0, 0.001 s");
  a->NoteStopped("stopped by bob@lab", RunTime(2));     // ABORTED beats FAIL
  a->NoteFault(v1::FAULT_ESTOP_BUTTON, 1, RunTime(3));  // the first end stays the reason
  a->Finish(RunTime(4));
  const v1::RunVerdict verdict = a->Verdict();
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_ABORTED);
  EXPECT_EQ(verdict.reason().rfind("stopped by bob@lab", 0), 0u) << verdict.reason();
  const v1::LimitResult* estop = FindResult(verdict, "fault estop-button");
  ASSERT_NE(estop, nullptr);  // still listed
  EXPECT_EQ(estop->reason(), "estop-button: e-stop button pressed");

  auto b = make();  // a fault first, then a stop: the fault is the reason
  b->AddSample(Quiet(0, 1, 0));
  b->NoteFault(v1::FAULT_DOOR_OPEN, 1, 0);
  b->NoteStopped("stopped by carol@lab", 0);
  EXPECT_EQ(b->Verdict().reason(), "door-open: guard door opened at cycle 1, segment 0, 0 s");
}

TEST(RunAnalyzerTest, ASoftwareEStopNamesWhoAskedAndWhyInEitherOrder) {
  auto make = [] {
    return std::make_unique<RunAnalyzer>(std::vector<v1::Limit>{}, std::vector<AnalyzerSegment>{});
  };
  auto request_first = make();
  request_first->AddSample(Quiet(0, 1, 0));
  request_first->NoteEStopRequest("alice@bench (rigctl)", "pad slipped");
  request_first->NoteFault(v1::FAULT_ESTOP_SOFTWARE, 60, 0);
  EXPECT_EQ(request_first->Verdict().reason(),
            "estop-software: e-stop commanded by alice@bench (rigctl): pad slipped at cycle 1, "
            "segment 0, 0 s");

  auto fault_first = make();  // the device's event overtook rigd's own
  fault_first->AddSample(Quiet(0, 1, 0));
  fault_first->NoteFault(v1::FAULT_ESTOP_SOFTWARE, 60, 0);
  fault_first->NoteEStopRequest("bob@desk (rig-dash)", "");
  fault_first->NoteEStopRequest("someone@else", "too late");  // the first request counts
  const v1::RunVerdict verdict = fault_first->Verdict();
  EXPECT_EQ(verdict.reason(),
            "estop-software: e-stop commanded by bob@desk (rig-dash) at cycle 1, segment 0, 0 s");
  const v1::LimitResult* estop = FindResult(verdict, "fault estop-software");
  ASSERT_NE(estop, nullptr);
  EXPECT_EQ(estop->reason(), "estop-software: e-stop commanded by bob@desk (rig-dash)");

  auto unnamed = make();  // no request recorded (an older recording)
  unnamed->AddSample(Quiet(0, 1, 0));
  unnamed->NoteFault(v1::FAULT_ESTOP_SOFTWARE, 60, 0);
  EXPECT_EQ(unnamed->Verdict().reason().rfind("estop-software: e-stop commanded by the host", 0),
            0u);
}

TEST(RunAnalyzerTest, FirstFailureInRunTimeDecides) {
  RunAnalyzer analyzer({TorqueMax("later in the list", 1.0, v1::LIMIT_ACTION_FAIL),
                        TorqueMax("earlier in time", 0.75, v1::LIMIT_ACTION_FAIL)},
                       {});
  Sample a = Quiet(0, 1, 0);
  a.torque_nm = 0.9f;  // only "earlier in time"
  analyzer.AddSample(a);
  Sample b = Quiet(1, 1, 0);
  b.torque_nm = 5;  // both, and the worst for both
  analyzer.AddSample(b);
  const v1::RunVerdict verdict = analyzer.Verdict();
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_FAIL);
  EXPECT_EQ(verdict.reason(),
            "torque_nm 5 N·m above max 0.75 (limit \"earlier in time\") at cycle 1, segment 0, "
            "0.001 s; 1 more limit failed");
}

// ---- Live events ----

TEST(RunAnalyzerTest, TakeNewViolationsReportsEachNewOneOnce) {
  v1::Limit torque = TorqueMax("torque", 2.0, v1::LIMIT_ACTION_FAIL);
  torque.set_marginal_band(0.5);
  v1::Limit force = Live("force", v1::SIGNAL_FORCE_N);
  force.set_max(100);
  RunAnalyzer analyzer({torque, force}, {});
  auto with = [](uint64_t i, float torque_nm, float force_n) {
    Sample s = Quiet(i, 1, 0);
    s.torque_nm = torque_nm;
    s.force_n = force_n;
    return s;
  };
  analyzer.AddSample(with(0, 1.8f, 50));  // marginal
  std::vector<v1::LimitResult> events = analyzer.TakeNewViolations();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name(), "torque");
  EXPECT_EQ(events[0].outcome(), v1::VERDICT_MARGINAL);
  EXPECT_EQ(events[0].reason(), "torque_nm 1.8 N·m within 0.5 of max 2");

  analyzer.AddSample(with(1, 1.9f, 50));  // still the same marginal run
  EXPECT_TRUE(analyzer.TakeNewViolations().empty());

  analyzer.AddSample(with(2, 2.5f, 150));  // both violated
  analyzer.AddSample(with(3, 2.6f, 160));  // the same runs go on
  events = analyzer.TakeNewViolations();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].name(), "torque");
  EXPECT_EQ(events[0].outcome(), v1::VERDICT_FAIL);
  EXPECT_DOUBLE_EQ(events[0].worst_value(), 2.5);
  EXPECT_DOUBLE_EQ(events[0].t_s(), RunTime(2));
  EXPECT_EQ(events[0].violations(), 1u);
  EXPECT_EQ(events[1].name(), "force");
  EXPECT_TRUE(analyzer.TakeNewViolations().empty());

  analyzer.AddSample(with(4, 0.5f, 50));   // back inside
  analyzer.AddSample(with(5, 0.5f, 150));  // force again: a new violation
  analyzer.AddSample(with(6, 0.5f, 50));
  analyzer.AddSample(with(7, 0.5f, 150));  // and again before anyone asked
  events = analyzer.TakeNewViolations();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].name(), "force");
  EXPECT_EQ(events[0].violations(), 3u);
  EXPECT_DOUBLE_EQ(events[0].t_s(), RunTime(5));
  EXPECT_EQ(analyzer.violations(), 4u);
}

// ---- Gaps ----

TEST(RunAnalyzerTest, GapsAreReportedAndBreakPersistence) {
  v1::Limit torque = TorqueMax("torque", 2.0, v1::LIMIT_ACTION_FAIL);
  torque.set_persist_s(0.003);
  RunAnalyzer analyzer({torque}, {});
  auto high = [](uint64_t i) {
    Sample s = Quiet(i, 1, 0);
    s.torque_nm = 3;
    return s;
  };
  analyzer.AddSample(Quiet(0, 1, 0));
  analyzer.AddSample(high(1));
  analyzer.AddSample(high(2));
  analyzer.NoteGap(1003, 10, RunTime(3));  // samples 3..12 lost
  analyzer.AddSample(high(13));
  analyzer.AddSample(high(14));  // 13 ms after sample 1, but not seen to be continuous
  EXPECT_EQ(analyzer.violations(), 0u);
  analyzer.AddSample(high(15));
  analyzer.AddSample(high(16));  // 3 ms after sample 13
  EXPECT_EQ(analyzer.violations(), 1u);
  analyzer.NoteGap(1017, 2, RunTime(17));
  analyzer.AddSample(Quiet(19, 0, -1));
  analyzer.Finish(RunTime(20));
  const v1::RunVerdict verdict = analyzer.Verdict();
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_FAIL);
  EXPECT_EQ(analyzer.samples_lost(), 12u);
  EXPECT_EQ(analyzer.gaps(), 2u);
  EXPECT_NE(verdict.reason().find("; 12 samples lost in 2 gaps (first at 0.003 s)"),
            std::string::npos)
      << verdict.reason();
}

TEST(RunAnalyzerTest, GapsAloneDoNotFail) {
  RunAnalyzer analyzer({TorqueMax("torque", 2.0, v1::LIMIT_ACTION_FAIL)}, {});
  analyzer.AddSample(Quiet(0, 1, 0));
  analyzer.NoteGap(1001, 1, RunTime(1));
  analyzer.AddSample(Quiet(2, 1, 0));
  analyzer.AddSample(Quiet(3, 0, -1));
  analyzer.Finish(RunTime(4));
  const v1::RunVerdict verdict = analyzer.Verdict();
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_PASS);
  EXPECT_EQ(verdict.reason(),
            "all 1 limit checked passed over 1 cycle; 1 sample lost in 1 gap (first at 0.001 s)");
}

TEST(RunAnalyzerTest, NoProgramSamplesIsNoVerdict) {
  RunAnalyzer analyzer({TorqueMax("torque", 2.0, v1::LIMIT_ACTION_FAIL)}, {});
  analyzer.AddSample(Quiet(0, 0, -1));
  EXPECT_EQ(analyzer.Verdict().verdict(), v1::VERDICT_PASS);  // so far
  analyzer.Finish(RunTime(1));
  EXPECT_EQ(analyzer.Verdict().verdict(), v1::VERDICT_UNSPECIFIED);
  EXPECT_EQ(analyzer.Verdict().limits(0).reason(), "not checked: never in force after settling");
}

// ---- Replay ----

// A run with a bit of everything, as rigd would feed it.
std::string AnalyzeScriptedRun(std::vector<v1::CycleStats>* cycles) {
  v1::Limit torque = TorqueMax("torque", 1.2, v1::LIMIT_ACTION_FAIL);
  torque.set_marginal_band(0.2);
  torque.set_persist_s(0.002);
  v1::Limit rms = PerCycle("rms torque", v1::CYCLE_STATISTIC_RMS_TORQUE_NM);
  rms.set_max(0.9);
  v1::Limit tracking = Live("tracking", v1::SIGNAL_SPEED_ERROR_RPM);
  tracking.set_max(3);
  tracking.set_settle_s(0.05);
  RunAnalyzer analyzer({torque, rms},
                       {AnalyzerSegment{.index = 0, .label = "glide", .limits = {}},
                        AnalyzerSegment{.index = 1, .label = "knead", .limits = {tracking}}});
  uint64_t i = 0;
  for (uint32_t cycle = 1; cycle <= 6; ++cycle) {
    for (int32_t segment = 0; segment < 2; ++segment) {
      for (int k = 0; k < 500; ++k, ++i) {
        if (i == 2100) analyzer.NoteGap(1000 + i, 7, analyzer.run_time_s(kStartUs + i * kPeriodUs));
        Sample s = Quiet(i, cycle, segment);
        const double phase = static_cast<double>(k) * 0.0125663706;
        s.torque_nm = static_cast<float>(0.3 + 0.1 * cycle * std::sin(phase));
        s.roller_rpm = static_cast<float>(60 - 4 * std::cos(phase) * segment);
        s.temp_c = static_cast<float>(30 + 0.001 * static_cast<double>(i));
        analyzer.AddSample(s);
      }
    }
    if (cycle == 5)
      analyzer.NoteFault(v1::FAULT_OVER_SPEED, 150, analyzer.run_time_s(kStartUs + i * kPeriodUs));
  }
  analyzer.Finish(RunTime(i));
  *cycles = analyzer.cycles();
  return analyzer.Verdict().SerializeAsString();
}

TEST(RunAnalyzerTest, ReplayGivesByteIdenticalVerdicts) {
  std::vector<v1::CycleStats> first_cycles;
  std::vector<v1::CycleStats> second_cycles;
  const std::string first = AnalyzeScriptedRun(&first_cycles);
  const std::string second = AnalyzeScriptedRun(&second_cycles);
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, second);
  ASSERT_EQ(first_cycles.size(), second_cycles.size());
  ASSERT_EQ(first_cycles.size(), 4u);  // cycle 5 was cut short by the fault
  for (size_t k = 0; k < first_cycles.size(); ++k) {
    EXPECT_EQ(first_cycles[k].SerializeAsString(), second_cycles[k].SerializeAsString());
  }
  v1::RunVerdict verdict;
  ASSERT_TRUE(verdict.ParseFromString(first));
  EXPECT_EQ(verdict.verdict(), v1::VERDICT_ABORTED);
  EXPECT_EQ(verdict.reason().rfind("over-speed: roller 150 rpm at cycle 5", 0), 0u)
      << verdict.reason();
}

}  // namespace
}  // namespace rollrig::host
