#include "host/profile_loader/profile_loader.h"

#include <cmath>
#include <filesystem>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host/profile_loader/presets.h"

namespace rollrig::host {
namespace {

using ::testing::HasSubstr;

// What the simulated massager reports (rig/sim), with the program size the firmware
// will have.
rollrig::v1::Capabilities SimulatorCapabilities() {
  rollrig::v1::Capabilities caps;
  caps.mutable_roller_rpm()->set_min(-120);
  caps.mutable_roller_rpm()->set_max(120);
  caps.set_roller_max_accel_rpm_s(600);
  caps.mutable_head_deg()->set_min(-180);
  caps.mutable_head_deg()->set_max(180);
  caps.set_head_max_rate_dps(120);
  caps.mutable_preload_n()->set_min(0);
  caps.mutable_preload_n()->set_max(150);
  caps.mutable_load_cell_n()->set_min(0);
  caps.mutable_load_cell_n()->set_max(200);
  caps.set_current_limit_a(3);
  caps.set_rated_current_a(1.5);
  caps.set_temperature_limit_c(100);
  caps.set_tick_hz(1000);
  caps.set_max_tick_hz(10000);
  caps.set_max_profile_segments(256);
  return caps;
}

ProfileCheck Load(const std::string& text, const std::string& file_name = "test.textproto") {
  rollrig::v1::ProfileSource source;
  source.set_file_name(file_name);
  source.set_text(text);
  return LoadProfile(source, SimulatorCapabilities());
}

std::vector<std::string> Formatted(const ProfileCheck& check) {
  std::vector<std::string> lines;
  for (const auto& e : check.errors) lines.push_back(FormatProfileError(e));
  return lines;
}

std::string AllErrors(const ProfileCheck& check) { return absl::StrJoin(Formatted(check), "\n"); }

// A valid one-segment profile; `segment_body` replaces the segment's motions.
std::string OneSegment(const std::string& segment_body) {
  return absl::StrCat("name: \"t\"\nsteps {\n  segment {\n    duration_s: 2\n", segment_body,
                      "\n  }\n}\n");
}

// ---- Presets ----

TEST(PresetsTest, TheEightPresetsInOrder) {
  std::vector<std::string> names;
  for (const auto& preset : Presets()) names.push_back(preset.name());
  EXPECT_THAT(names,
              ::testing::ElementsAre("swedish", "deep-tissue", "trigger-point", "kneading",
                                     "endurance", "myofascial-release", "friction", "rolling"));
}

TEST(PresetsTest, EachLoadsAgainstTheSimulatorWithACycleOf20To180Seconds) {
  for (const auto& preset : Presets()) {
    SCOPED_TRACE(preset.name());
    EXPECT_EQ(preset.file_name(), preset.name() + ".textproto");
    EXPECT_FALSE(preset.description().empty());
    EXPECT_TRUE(absl::StartsWith(preset.text(), "#")) << "begins with a comment";
    const ProfileCheck check = [&] {
      rollrig::v1::ProfileSource source;
      source.set_preset(preset.name());
      return LoadProfile(source, SimulatorCapabilities());
    }();
    ASSERT_TRUE(check.ok()) << AllErrors(check);
    EXPECT_EQ(check.loaded->name, preset.name());
    EXPECT_EQ(check.loaded->profile.description(), preset.description());
    EXPECT_GE(check.loaded->cycle_s, 20);
    // myofascial-release holds its preload for minutes: 166 s.
    EXPECT_LE(check.loaded->cycle_s, 180);
    EXPECT_EQ(check.loaded->cycle_s, preset.cycle_s());
    EXPECT_FALSE(check.loaded->profile.limits().empty());
  }
}

TEST(PresetsTest, EachCarriesStallTemperatureAndSpeedTrackingLimits) {
  for (const auto& preset : Presets()) {
    SCOPED_TRACE(preset.name());
    rollrig::v1::ProfileSource source;
    source.set_preset(preset.name());
    const ProfileCheck check = LoadProfile(source, SimulatorCapabilities());
    ASSERT_TRUE(check.ok()) << AllErrors(check);
    bool stall = false, temperature = false, tracking = false;
    for (const auto& limit : check.loaded->profile.limits()) {
      if (limit.signal() == rollrig::v1::SIGNAL_TORQUE_NM &&
          limit.action() == rollrig::v1::LIMIT_ACTION_ABORT && limit.max() < 3 &&
          limit.persist_s() < 0.3) {
        stall = true;
      }
      if (limit.signal() == rollrig::v1::SIGNAL_TEMPERATURE_C && limit.max() < 100) {
        temperature = true;
      }
      if (limit.signal() == rollrig::v1::SIGNAL_SPEED_ERROR_RPM ||
          limit.cycle_statistic() == rollrig::v1::CYCLE_STATISTIC_SPEED_RMS_ERROR_RPM) {
        tracking = true;
      }
    }
    EXPECT_TRUE(stall);
    EXPECT_TRUE(temperature);
    EXPECT_TRUE(tracking);
  }
}

TEST(PresetsTest, TheProfilesFolderHoldsExactlyThePresets) {
  std::set<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(ROLLRIG_PROFILES_DIR)) {
    files.insert(entry.path().filename().string());
  }
  std::set<std::string> presets;
  for (const auto& preset : Presets()) presets.insert(preset.file_name());
  EXPECT_EQ(files, presets);
  EXPECT_EQ(files.size(), 8u);
}

TEST(PresetsTest, FindByNameOrFileName) {
  ASSERT_NE(FindPreset("kneading"), nullptr);
  EXPECT_EQ(FindPreset("kneading.textproto"), FindPreset("kneading"));
  EXPECT_EQ(FindPreset("shiatsu"), nullptr);
}

TEST(PresetsTest, UnknownPresetNamesTheKnownOnes) {
  rollrig::v1::ProfileSource source;
  source.set_preset("shiatsu");
  const ProfileCheck check = LoadProfile(source, SimulatorCapabilities());
  ASSERT_EQ(check.errors.size(), 1u);
  EXPECT_EQ(check.errors[0].field(), "preset");
  EXPECT_THAT(check.errors[0].message(), HasSubstr("swedish, deep-tissue"));
}

// ---- Parsing errors ----

TEST(ParseErrorTest, UnknownFieldOnTheLastLine) {
  const ProfileCheck check = Load(OneSegment("    roller { hold { rpm: 10 } }") + "bogus: 1");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto:8:1: bogus: unknown field \"bogus\" in the profile");
}

TEST(ParseErrorTest, UnknownNestedFieldIsNamedWithItsPath) {
  const ProfileCheck check = Load(
      "steps { segment { duration_s: 1 } }\n"
      "steps {\n"
      "  segment {\n"
      "    duration_s: 1\n"
      "    roller { hold {\trmp: 10 } }\n"
      "  }\n"
      "}\n");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  // The tab advances to column 24 (0-based), as protobuf counts columns.
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto:5:25: steps[1].segment.roller.hold.rmp: unknown field \"rmp\" in "
            "steps[1].segment.roller.hold");
}

TEST(ParseErrorTest, EveryUnknownFieldIsReported) {
  const ProfileCheck check = Load(
      "nmae: \"x\"\n"
      "steps { segment { duration_s: 1 colour: 3 } }\n");
  ASSERT_EQ(check.errors.size(), 2u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].field(), "nmae");
  EXPECT_EQ(check.errors[1].field(), "steps[0].segment.colour");
  EXPECT_EQ(check.errors[1].line(), 2u);
  EXPECT_EQ(check.errors[1].column(), 33u);
}

TEST(ParseErrorTest, SyntaxErrorHasPositionAndField) {
  const ProfileCheck check = Load(
      "name: \"x\"\n"
      "steps {\n"
      "  loop {\n"
      "    repeat: many\n"
      "  }\n"
      "}\n");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto:4:13: steps[0].loop.repeat: Expected integer, got: many");
  EXPECT_FALSE(check.loaded.has_value());
}

TEST(ParseErrorTest, MissingBraceAtTheEnd) {
  const ProfileCheck check = Load("steps {\n  segment { duration_s: 1 }\n");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].line(), 3u);
  EXPECT_THAT(check.errors[0].message(), HasSubstr("Expected"));
}

TEST(ParseErrorTest, SyntaxErrorInsideAListNamesTheElement) {
  const ProfileCheck check = Load(
      "steps: [\n"
      "  { segment { duration_s: 1 } },\n"
      "  { segment { duration_s: one } }\n"
      "]\n");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto:3:27: steps[1].segment.duration_s: Expected double, got: one");
}

TEST(ParseErrorTest, JsonSyntaxError) {
  const ProfileCheck check = Load("{\"name\": }", "p.json");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].line(), 0u);
  EXPECT_THAT(FormatProfileError(check.errors[0]), HasSubstr("p.json: invalid JSON: "));
}

TEST(ParseErrorTest, JsonBadFieldNamesTheFieldPath) {
  const ProfileCheck check = Load(
      R"({"name": "j", "steps": [{"segment": {"durationS": 1}},
          {"segment": {"durationS": 1, "roller": {"hold": {"rmp": 3}}}}]})",
      "bad.json");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].line(), 0u);
  EXPECT_EQ(check.errors[0].field(), "steps[1].segment.roller.hold.rmp");
  EXPECT_THAT(FormatProfileError(check.errors[0]),
              HasSubstr("bad.json: steps[1].segment.roller.hold.rmp: invalid JSON: "));
}

TEST(ParseErrorTest, JsonValidationErrorsHaveNoPosition) {
  const ProfileCheck check =
      Load(R"({"steps": [{"segment": {"duration_s": 1, "roller": {"hold": {"rpm": 500}}}}]})");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto: steps[0].segment.roller.hold.rpm: 500 rpm is outside the "
            "device's range -120..120 rpm");
}

TEST(ParseErrorTest, JsonIsChosenByFormatFileNameOrBrace) {
  const std::string json = R"({"steps": [{"segment": {"durationS": 1.5}}]})";
  EXPECT_TRUE(Load(json, "p.json").ok());
  EXPECT_TRUE(Load("  " + json, "p.txt").ok());
  rollrig::v1::ProfileSource source;
  source.set_text(R"({"steps": [{"segment": {"durationS": 1.5}}]})");
  source.set_format(rollrig::v1::PROFILE_FORMAT_TEXT);
  EXPECT_FALSE(LoadProfile(source, SimulatorCapabilities()).ok());
  source.set_format(rollrig::v1::PROFILE_FORMAT_JSON);
  EXPECT_TRUE(LoadProfile(source, SimulatorCapabilities()).ok());
}

// ---- Validation errors, located ----

TEST(ValidationTest, OutOfRangeRpmOnAKnownLine) {
  const ProfileCheck check = Load(OneSegment("    roller { hold { rpm: 99999 } }"));
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto:5:26: steps[0].segment.roller.hold.rpm: 99999 rpm is outside the "
            "device's range -120..120 rpm");
}

TEST(ValidationTest, HeadOutOfRange) {
  const ProfileCheck check = Load(OneSegment("    head {\n      hold { deg: -190 }\n    }"));
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto:6:19: steps[0].segment.head.hold.deg: -190 deg is outside the "
            "head's range -180..180 deg");
}

TEST(ValidationTest, MoveToRateAboveTheDevice) {
  const ProfileCheck check = Load(OneSegment("    head { move_to { deg: 10 max_rate_dps: 500 } }"));
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].field(), "steps[0].segment.head.move_to.max_rate_dps");
  EXPECT_THAT(check.errors[0].message(), HasSubstr("500 deg/s is outside 0..120 deg/s"));
}

TEST(ValidationTest, SweepTooFast) {
  const ProfileCheck check =
      Load(OneSegment("    head { sweep { from_deg: -90 to_deg: 90 period_s: 2 } }"));
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].line(), 5u);
  EXPECT_EQ(check.errors[0].column(), 55u);
  EXPECT_EQ(check.errors[0].field(), "steps[0].segment.head.sweep.period_s");
  EXPECT_THAT(check.errors[0].message(), HasSubstr("needs 180 deg/s"));
  EXPECT_THAT(check.errors[0].message(), HasSubstr("at least 3 s"));
}

TEST(ValidationTest, SineTooAggressiveNamesWhatIsAchievable) {
  const ProfileCheck check =
      Load(OneSegment("    roller { sine { mean_rpm: 0 amplitude_rpm: 100 period_s: 0.5 } }"));
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].field(), "steps[0].segment.roller.sine.amplitude_rpm");
  EXPECT_EQ(check.errors[0].line(), 5u);
  EXPECT_EQ(check.errors[0].column(), 48u);
  // 2*pi*100/0.5 = 1257 rpm/s; at 0.5 s at most 600*0.5/(2*pi) = 47.75 rpm; at 100 rpm
  // the period must be at least 2*pi*100/600 = 1.047 s.
  EXPECT_THAT(check.errors[0].message(), HasSubstr("1257 rpm/s"));
  EXPECT_THAT(check.errors[0].message(), HasSubstr("at most 47.75 rpm"));
  EXPECT_THAT(check.errors[0].message(), HasSubstr("at least 1.047 s"));
}

TEST(ValidationTest, SineOutsideTheSpeedRange) {
  const ProfileCheck check =
      Load(OneSegment("    roller { sine { mean_rpm: 100 amplitude_rpm: 30 period_s: 10 } }"));
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_THAT(check.errors[0].message(), HasSubstr("reaches 70..130 rpm"));
}

TEST(ValidationTest, AlternateReversalLongerThanHalfPeriod) {
  // A 120 rpm reversal takes 0.4 s at 600 rpm/s; a 0.6 s period leaves 0.3 s per half.
  const ProfileCheck check =
      Load(OneSegment("    roller { alternate { rpm: 120 period_s: 0.6 } }"));
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].field(), "steps[0].segment.roller.alternate.period_s");
  EXPECT_THAT(check.errors[0].message(), HasSubstr("period above 0.8 s"));
}

TEST(ValidationTest, PeriodShorterThanFourTicks) {
  const ProfileCheck check =
      Load(OneSegment("    roller { sine { amplitude_rpm: 0 period_s: 0.002 } }"));
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_THAT(check.errors[0].message(), HasSubstr("shorter than 4 control ticks"));
}

TEST(ValidationTest, PreloadOutOfRange) {
  const ProfileCheck check =
      Load(OneSegment("    preload { ramp { from_newtons: 10 to_newtons: 200 } }"));
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].field(), "steps[0].segment.preload.ramp.to_newtons");
  EXPECT_THAT(check.errors[0].message(), HasSubstr("200 N is outside"));
}

TEST(ValidationTest, ZeroDuration) {
  const ProfileCheck check = Load(
      "steps {\n"
      "  segment {\n"
      "    duration_s: 0\n"
      "  }\n"
      "}\n");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto:3:17: steps[0].segment.duration_s: 0 s must be > 0 (every segment "
            "needs a duration)");
}

TEST(ValidationTest, MissingDurationPointsAtTheSegment) {
  const ProfileCheck check = Load("steps {\n  segment { label: \"x\" }\n}\n");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].field(), "steps[0].segment.duration_s");
  EXPECT_EQ(check.errors[0].line(), 2u);
  EXPECT_EQ(check.errors[0].column(), 3u);
}

TEST(ValidationTest, LoopRepeatZeroAndEmptyLoop) {
  const ProfileCheck check = Load(
      "steps {\n"
      "  loop {\n"
      "    repeat: 0\n"
      "    segments { duration_s: 1 }\n"
      "  }\n"
      "}\n"
      "steps { loop { repeat: 2 } }\n");
  ASSERT_EQ(check.errors.size(), 2u) << AllErrors(check);
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto:3:13: steps[0].loop.repeat: repeat 0 must be at least 1");
  EXPECT_EQ(check.errors[1].field(), "steps[1].loop.segments");
  EXPECT_EQ(check.errors[1].line(), 7u);
}

TEST(ValidationTest, TooManySegmentsAfterUnrolling) {
  const ProfileCheck check = Load(
      "steps { segment { duration_s: 1 } }\n"
      "steps {\n"
      "  loop {\n"
      "    repeat: 100\n"
      "    segments { duration_s: 1 }\n"
      "    segments { duration_s: 1 }\n"
      "    segments { duration_s: 1 }\n"
      "  }\n"
      "}\n");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto:4:13: steps[1].loop.repeat: the profile unrolls to 301 program "
            "segments (loops multiplied out); the device holds at most 256");
}

TEST(ValidationTest, HugeRepeatIsCountedNotUnrolled) {
  const ProfileCheck check =
      Load("steps { loop { repeat: 4000000000 segments { duration_s: 1 } } }\n");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_THAT(check.errors[0].message(), HasSubstr("4000000000 program segments"));
}

TEST(ValidationTest, ZeroMaxSegmentsMeans256) {
  rollrig::v1::ProfileSource source;
  source.set_text("steps { loop { repeat: 256 segments { duration_s: 1 } } }");
  rollrig::v1::Capabilities caps = SimulatorCapabilities();
  caps.set_max_profile_segments(0);
  EXPECT_TRUE(LoadProfile(source, caps).ok());
  source.set_text("steps { loop { repeat: 257 segments { duration_s: 1 } } }");
  EXPECT_FALSE(LoadProfile(source, caps).ok());
}

TEST(ValidationTest, BadLimits) {
  const ProfileCheck check = Load(
      "steps { segment { duration_s: 1 } }\n"
      "limits { name: \"nothing\" max: 1 }\n"
      "limits { name: \"unbounded\" signal: SIGNAL_TORQUE_NM }\n"
      "limits { name: \"inverted\" signal: SIGNAL_FORCE_N min: 5 max: 1 }\n"
      "limits { name: \"band\" signal: SIGNAL_FORCE_N max: 1 marginal_band: -1 }\n"
      "limits { name: \"timing\" signal: SIGNAL_FORCE_N max: 1 persist_s: -0.1 settle_s: -2 }\n"
      "limits { name: \"stat\" cycle_statistic: CYCLE_STATISTIC_PEAK_FORCE_N max: 1 "
      "persist_s: 1 }\n"
      "limits { name: \"unspecified\" signal: SIGNAL_UNSPECIFIED max: 1 }\n");
  const std::vector<std::string> errors = Formatted(check);
  EXPECT_THAT(errors,
              ::testing::ElementsAre(
                  "test.textproto:2:1: limits[0]: limit \"nothing\" measures nothing: set "
                  "signal or cycle_statistic",
                  "test.textproto:3:1: limits[1]: limit \"unbounded\" bounds nothing: set min, "
                  "max or both",
                  "test.textproto:4:55: limits[2].min: min 5 is above max 1: no value could pass",
                  "test.textproto:5:68: limits[3].marginal_band: -1 must be >= 0",
                  "test.textproto:6:66: limits[4].persist_s: -0.1 must be >= 0",
                  "test.textproto:6:81: limits[4].settle_s: -2 must be >= 0",
                  ::testing::StartsWith("test.textproto:7:87: limits[5].persist_s: 1 s: persist_s "
                                        "applies to live signals only"),
                  ::testing::StartsWith("test.textproto:8:38: limits[6].signal: limit "
                                        "\"unspecified\" needs a signal")));
}

TEST(ValidationTest, SegmentLimitsAreCheckedWithTheirPath) {
  const ProfileCheck check = Load(
      "steps { loop { repeat: 2 segments {\n"
      "  duration_s: 1\n"
      "  limits { signal: SIGNAL_TORQUE_NM }\n"
      "} } }\n");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(check.errors[0].field(), "steps[0].loop.segments[0].limits[0]");
  EXPECT_EQ(check.errors[0].line(), 3u);
  EXPECT_EQ(check.errors[0].column(), 3u);
}

TEST(ValidationTest, NonFiniteValuesAreNamed) {
  const ProfileCheck check = Load(
      "steps { segment {\n"
      "  duration_s: inf\n"
      "  roller { sine { mean_rpm: 0 amplitude_rpm: 10 period_s: 2 phase_deg: nan } }\n"
      "} }\n"
      "limits { signal: SIGNAL_FORCE_N max: -inf }\n");
  const std::vector<std::string> errors = Formatted(check);
  EXPECT_THAT(errors, ::testing::ElementsAre(
                          "test.textproto:2:15: steps[0].segment.duration_s: inf is not a "
                          "finite number",
                          "test.textproto:3:72: steps[0].segment.roller.sine.phase_deg: nan is "
                          "not a finite number",
                          "test.textproto:5:38: limits[0].max: -inf is not a finite number"));
}

TEST(ValidationTest, EmptyProfile) {
  const ProfileCheck check = Load("# nothing here\nname: \"empty\"\n");
  ASSERT_EQ(check.errors.size(), 1u) << AllErrors(check);
  EXPECT_EQ(FormatProfileError(check.errors[0]),
            "test.textproto: steps: a profile needs at least one step (a segment or a loop)");
}

TEST(ValidationTest, AllErrorsAreCollected) {
  const ProfileCheck check = Load(
      "steps { segment { duration_s: -1 roller { hold { rpm: 200 } } } }\n"
      "steps { segment { duration_s: 1 head { hold { deg: 400 } } preload { hold { newtons: "
      "-5 } } } }\n");
  EXPECT_EQ(check.errors.size(), 4u) << AllErrors(check);
  EXPECT_FALSE(check.loaded.has_value());
}

TEST(FormatTest, OmitsWhatIsUnknown) {
  rollrig::v1::ProfileError e;
  e.set_message("m");
  EXPECT_EQ(FormatProfileError(e), "<profile>: m");
  e.set_file_name("f");
  e.set_field("x.y");
  EXPECT_EQ(FormatProfileError(e), "f: x.y: m");
  e.set_line(3);
  e.set_column(4);
  EXPECT_EQ(FormatProfileError(e), "f:3:4: x.y: m");
}

// ---- Unrolling ----

TEST(UnrollTest, LoopsUnrollInOrderWithIndicesAndStartTimes) {
  const ProfileCheck check = Load(
      "steps { segment { label: \"a\" duration_s: 0.5 roller { hold { rpm: 10 } } } }\n"
      "steps { loop { repeat: 3\n"
      "  segments { label: \"b\" duration_s: 0.25 head { hold { deg: 5 } } }\n"
      "  segments { label: \"c\" duration_s: 1.125 preload { hold { newtons: 7 } }\n"
      "             limits { signal: SIGNAL_FORCE_N max: 9 } }\n"
      "} }\n"
      "steps { segment { label: \"d\" duration_s: 0.1 } }\n");
  ASSERT_TRUE(check.ok()) << AllErrors(check);
  const LoadedProfile& loaded = *check.loaded;
  ASSERT_EQ(loaded.program.size(), 8u);
  ASSERT_EQ(loaded.segments.size(), 8u);
  const char* labels[] = {"a", "b", "c", "b", "c", "b", "c", "d"};
  const char* paths[] = {"steps[0].segment",          "steps[1].loop.segments[0]",
                         "steps[1].loop.segments[1]", "steps[1].loop.segments[0]",
                         "steps[1].loop.segments[1]", "steps[1].loop.segments[0]",
                         "steps[1].loop.segments[1]", "steps[2].segment"};
  const uint32_t steps[] = {0, 1, 1, 1, 1, 1, 1, 2};
  const uint32_t iterations[] = {0, 0, 0, 1, 1, 2, 2, 0};
  const uint64_t durations_us[] = {500000,  250000, 1125000, 250000,
                                   1125000, 250000, 1125000, 100000};
  uint64_t start_us = 0;
  for (uint32_t i = 0; i < 8; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(loaded.program[i].index(), i);
    EXPECT_EQ(loaded.program[i].duration_us(), durations_us[i]);
    EXPECT_EQ(loaded.segments[i].index, i);
    EXPECT_EQ(loaded.segments[i].label, labels[i]);
    EXPECT_EQ(loaded.segments[i].path, paths[i]);
    EXPECT_EQ(loaded.segments[i].step, steps[i]);
    EXPECT_EQ(loaded.segments[i].loop_iteration, iterations[i]);
    EXPECT_EQ(loaded.segments[i].start_s, static_cast<double>(start_us) / 1e6);
    EXPECT_EQ(loaded.segments[i].duration_s, static_cast<double>(durations_us[i]) / 1e6);
    start_us += durations_us[i];
  }
  EXPECT_TRUE(loaded.program[0].has_roller());
  EXPECT_FALSE(loaded.program[0].has_head());
  EXPECT_EQ(loaded.program[1].head().hold().deg(), 5);
  EXPECT_FALSE(loaded.program[1].has_roller());
  EXPECT_EQ(loaded.program[2].preload().hold().newtons(), 7);
  EXPECT_EQ(loaded.segments[2].limits.size(), 1u);
  EXPECT_EQ(loaded.segments[3].limits.size(), 0u);
  // 0.5 + 3 * (0.25 + 1.125) + 0.1 = 4.725 s.
  EXPECT_EQ(loaded.cycle_s, 4.725);
  EXPECT_EQ(loaded.name, "test");
}

// ---- Hash ----

TEST(HashTest, StableAcrossFormattingAndCommentsDifferentForAValue) {
  const ProfileCheck a = Load("name: \"h\" steps { segment { duration_s: 1 } }");
  const ProfileCheck b = Load(
      "# the same profile\n"
      "name:   \"h\"\n"
      "steps {\n"
      "  segment {\n"
      "    duration_s: 1.0  # one second\n"
      "  }\n"
      "}\n");
  const ProfileCheck c = Load("name: \"h\" steps { segment { duration_s: 1.5 } }");
  const ProfileCheck json = Load(R"({"name": "h", "steps": [{"segment": {"durationS": 1}}]})");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && json.ok());
  EXPECT_EQ(a.loaded->hash.size(), 64u);
  EXPECT_EQ(a.loaded->hash, b.loaded->hash);
  EXPECT_EQ(a.loaded->hash, json.loaded->hash);
  EXPECT_NE(a.loaded->hash, c.loaded->hash);
}

}  // namespace
}  // namespace rollrig::host
