#include "rig/firmware/firmware.h"

#include <gtest/gtest.h>

#include <memory>

#include "rig/plant/plant.h"

namespace rollrig::firmware {
namespace {

TEST(FirmwareTest, Boots) {
  auto fw = std::make_unique<Firmware>(FirmwareConfig{});
  FirmwareEvent e;
  ASSERT_TRUE(fw->PopEvent(&e));
  EXPECT_EQ(e.kind, EventKind::kBooted);
}

}  // namespace
}  // namespace rollrig::firmware
