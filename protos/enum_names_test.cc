// Every value of every enum users see has a clean name: no proto prefix, no UNSPECIFIED,
// no underscore, no bare number.
#include "enum_names.h"

#include <gtest/gtest.h>

#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"

namespace rollrig::v1 {
namespace {

// The words all value names of the enum start with, up to their last '_'.
std::string CommonPrefix(const google::protobuf::EnumDescriptor* descriptor) {
  std::string prefix(descriptor->value(0)->name());
  for (int i = 1; i < descriptor->value_count(); ++i) {
    const std::string name(descriptor->value(i)->name());
    size_t n = 0;
    while (n < prefix.size() && n < name.size() && prefix[n] == name[n]) ++n;
    prefix.resize(n);
  }
  return prefix.substr(0, prefix.rfind('_') + 1);
}

// Checks `display(value)` for each value of `descriptor` (and one value past the last,
// which an older build may receive from a newer device).
void ExpectCleanNames(const google::protobuf::EnumDescriptor* descriptor,
                      const std::function<std::string(int)>& display) {
  const std::string prefix = CommonPrefix(descriptor);  // "RUN_STATE_"
  int largest = 0;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const int number = descriptor->value(i)->number();
    largest = std::max(largest, number);
    const std::string name = display(number);
    SCOPED_TRACE(std::string(descriptor->value(i)->name()) + " -> '" + name + "'");
    EXPECT_FALSE(name.empty());
    EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(name), "unspecified"));
    EXPECT_FALSE(absl::StrContains(name, "_"));
    EXPECT_FALSE(absl::StartsWithIgnoreCase(name, prefix)) << "prefix " << prefix;
    EXPECT_FALSE(absl::StartsWithIgnoreCase(name, absl::StrReplaceAll(prefix, {{"_", "-"}})));
    EXPECT_NE(name.find_first_not_of("-0123456789"), std::string::npos);
  }
  const std::string unknown = display(largest + 1);
  EXPECT_FALSE(unknown.empty());
  EXPECT_NE(unknown.find_first_not_of("-0123456789"), std::string::npos) << unknown;
}

template <typename Enum>
std::function<std::string(int)> Of(std::string (*display)(Enum)) {
  return [display](int v) { return display(static_cast<Enum>(v)); };
}

TEST(EnumNamesTest, EveryUserFacingEnumValueHasACleanName) {
  ExpectCleanNames(Fault_descriptor(), Of(&FaultDisplayName));
  ExpectCleanNames(DeviceState_descriptor(), Of(&StateDisplayName));
  ExpectCleanNames(BootReason_descriptor(), Of(&BootReasonDisplayName));
  ExpectCleanNames(CommandResult_descriptor(), Of(&CommandResultDisplayName));
  ExpectCleanNames(InjectedFault_descriptor(), Of(&InjectedFaultDisplayName));
  ExpectCleanNames(RigEventKind_descriptor(), Of(&RigEventKindDisplayName));
  ExpectCleanNames(ConnectionState_descriptor(), Of(&ConnectionStateDisplayName));
  ExpectCleanNames(DisconnectPolicy_descriptor(), Of(&DisconnectPolicyDisplayName));
  ExpectCleanNames(RunState_descriptor(), Of(&RunStateDisplayName));
  ExpectCleanNames(Verdict_descriptor(), Of(&VerdictDisplayName));
}

TEST(EnumNamesTest, BitmasksNameEachBit) {
  for (int i = 1; i < Fault_descriptor()->value_count(); ++i) {
    ASSERT_EQ(FaultDisplayNames(1u << i).size(), 1u);
    EXPECT_EQ(FaultDisplayNames(1u << i)[0], FaultDisplayName(static_cast<Fault>(i)));
  }
  EXPECT_EQ(InterlockDisplayNames(1u << INTERLOCK_DOOR_OPEN),
            std::vector<std::string>{"door-open"});
}

TEST(EnumNamesTest, RunWordsReadAsUsersSeeThem) {
  EXPECT_EQ(RunStateDisplayName(RUN_STATE_RUNNING), "running");
  EXPECT_EQ(RunStateDisplayName(RUN_STATE_UNSPECIFIED), "unknown");
  EXPECT_EQ(RunStateDisplayNameOf("RUN_STATE_COMPLETED"), "completed");
  EXPECT_EQ(RunStateDisplayNameOf(""), "unknown");
  EXPECT_EQ(VerdictDisplayName(VERDICT_MARGINAL), "MARGINAL");
  EXPECT_EQ(VerdictDisplayName(VERDICT_UNSPECIFIED), "none");
  EXPECT_EQ(CommandResultDisplayName(COMMAND_RESULT_OUT_OF_RANGE), "out-of-range");
  EXPECT_EQ(InjectedFaultDisplayName(INJECTED_FAULT_FIRMWARE_HANG), "firmware-hang");
  EXPECT_EQ(RigEventKindDisplayName(RIG_EVENT_TELEMETRY_GAP), "telemetry-gap");
  EXPECT_EQ(DisconnectPolicyDisplayName(DISCONNECT_POLICY_UNSPECIFIED), "hold");
}

TEST(EnumNamesTest, EveryRunStateIsActiveFinalOrNeither) {
  for (int i = 0; i < RunState_descriptor()->value_count(); ++i) {
    const auto state = static_cast<RunState>(RunState_descriptor()->value(i)->number());
    SCOPED_TRACE(RunStateDisplayName(state));
    EXPECT_FALSE(RunIsActive(state) && RunIsFinal(state));
    const bool neither = state == RUN_STATE_UNSPECIFIED || state == RUN_STATE_IDLE;
    EXPECT_EQ(neither, !RunIsActive(state) && !RunIsFinal(state));
  }
  EXPECT_TRUE(RunIsActive(RUN_STATE_HELD));
  EXPECT_TRUE(RunIsFinal(RUN_STATE_INTERRUPTED));
}

TEST(EnumNamesTest, ASampleOutsideEverySegmentSaysSo) {
  EXPECT_EQ(SegmentDisplayText(-1, ""), "not in a segment");
  EXPECT_EQ(SegmentDisplayText(0, ""), "segment 0");
  EXPECT_EQ(SegmentDisplayText(2, "ramp"), "segment 2 'ramp'");
}

}  // namespace
}  // namespace rollrig::v1
