// End to end through gRPC: the whole host stack (transport, device client, service,
// server) on the simulated massager, in this process and as a rig-sim process over TCP.
// Real time is unavoidable here (the device runs on its own clock), so the checks are
// outcomes with margins, in device time where it matters.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "host/transport/transport_factory.h"
#include "rollrig/v1/rig_service.grpc.pb.h"
#include "tests/rig_stack.h"
#include "tests/test_process.h"

namespace rollrig {
namespace {

using rollrig::v1::RigService;
using rollrig::v1::TelemetryRow;
using ::testing::HasSubstr;

// Reads rows from a telemetry stream until `done` says so or the wall-clock limit passes.
class TelemetryReader {
 public:
  TelemetryReader(RigService::Stub* stub, double rate_hz) {
    rollrig::v1::StreamTelemetryRequest req;
    req.set_rate_hz(rate_hz);
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    reader_ = stub->StreamTelemetry(&ctx_, req);
  }
  ~TelemetryReader() {
    ctx_.TryCancel();
    rollrig::v1::TelemetryChunk chunk;
    while (reader_->Read(&chunk)) {
    }
    (void)reader_->Finish();
  }

  // Next row, or nullopt when the stream ended.
  std::optional<TelemetryRow> Next() {
    while (next_ >= chunk_.rows_size()) {
      if (!reader_->Read(&chunk_)) return std::nullopt;
      next_ = 0;
    }
    return chunk_.rows(next_++);
  }

  // Rows until device time reaches t_end_s.
  std::vector<TelemetryRow> Until(double t_end_s) {
    std::vector<TelemetryRow> rows;
    while (auto r = Next()) {
      rows.push_back(*r);
      if (r->t_s() >= t_end_s) break;
    }
    return rows;
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<rollrig::v1::TelemetryChunk>> reader_;
  rollrig::v1::TelemetryChunk chunk_;
  int next_ = 0;
};

double Mean(const std::vector<TelemetryRow>& rows, double (TelemetryRow::*field)() const) {
  double sum = 0;
  for (const auto& r : rows) sum += (r.*field)();
  return rows.empty() ? NAN : sum / static_cast<double>(rows.size());
}

using testing::RigStack;

// Jog to 60 rpm / 30 deg; 2 s of device time later the mean over 0.5 s is within 2 % and
// 1 deg. Then e-stop: within 1 s of device time the roller is below 1 rpm; jogs are
// refused until clear; after clear a jog is accepted again.
void JogThenEStop(RigStack& rig) {
  ASSERT_TRUE(rig.connected().ok()) << rig.connected();
  TelemetryReader telemetry(rig.stub(), 100);
  auto first = telemetry.Next();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(rig.Jog(60, 30).ok());
  const double t_jog = rig.Status().last().t_s();
  telemetry.Until(t_jog + 2.0);
  std::vector<TelemetryRow> settled = telemetry.Until(t_jog + 2.5);
  ASSERT_GE(settled.size(), 20u);
  EXPECT_NEAR(Mean(settled, &TelemetryRow::roller_rpm), 60.0, 1.2);
  EXPECT_NEAR(Mean(settled, &TelemetryRow::head_deg), 30.0, 1.0);
  for (const auto& r : settled) EXPECT_EQ(r.drops(), 0u);

  ASSERT_TRUE(rig.EStop().ok());
  const double t_estop = rig.Status().last().t_s();
  telemetry.Until(t_estop + 1.0);
  std::vector<TelemetryRow> after = telemetry.Until(t_estop + 1.3);
  ASSERT_FALSE(after.empty());
  for (const auto& r : after) EXPECT_LT(std::fabs(r.roller_rpm()), 1.0) << "t=" << r.t_s();

  grpc::Status refused = rig.Jog(30);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), ::testing::Not(HasSubstr("control")));
  EXPECT_THAT(refused.error_message(), HasSubstr("e-stop"));
  rollrig::v1::RigStatus st = rig.Status();
  EXPECT_EQ(st.state(), rollrig::v1::DEVICE_STATE_FAULTED);
  EXPECT_THAT(std::vector<std::string>(st.fault_names().begin(), st.fault_names().end()),
              ::testing::Contains("estop-software"));

  ASSERT_TRUE(rig.Clear().ok());
  EXPECT_TRUE(rig.Jog(20).ok());
}

TEST(EndToEndTest, InProcessSimJogAndEStop) {
  RigStack rig("sim");
  JogThenEStop(rig);
}

TEST(EndToEndTest, RigSimProcessOverTcp) {
  const int port = testing::FreePort();
  testing::ChildProcess sim(RIG_SIM_PATH, {"--listen", "127.0.0.1:" + std::to_string(port)});
  RigStack rig("tcp:127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(rig.connected().ok()) << rig.connected() << "\nrig-sim said: " << sim.Output();
  EXPECT_EQ(rig.Status().transport(), "tcp:127.0.0.1:" + std::to_string(port));
  JogThenEStop(rig);
}

TEST(EndToEndTest, BadInputIsRefusedWithAReason) {
  RigStack rig("sim");
  ASSERT_TRUE(rig.connected().ok());
  grpc::Status s = rig.Jog(100000);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("roller_rpm 100000 is outside"));
  s = rig.Jog(std::nan(""));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("finite"));
  s = rig.Jog(std::nullopt, 400);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("head_deg 400"));
  // Nothing moved, nothing latched.
  rollrig::v1::RigStatus st = rig.Status();
  EXPECT_EQ(st.faults(), 0u);
  EXPECT_NEAR(st.last().roller_rpm(), 0.0, 0.5);
}

TEST(EndToEndTest, StatusAndTelemetryWorkWhileEStopped) {
  RigStack rig("sim");
  ASSERT_TRUE(rig.connected().ok());
  ASSERT_TRUE(rig.EStop().ok());
  rollrig::v1::RigStatus st = rig.Status();
  EXPECT_EQ(st.connection(), rollrig::v1::CONNECTION_STATE_CONNECTED);
  TelemetryReader telemetry(rig.stub(), 50);
  const double t0 = st.last().t_s();
  EXPECT_GE(telemetry.Until(t0 + 0.5).size(), 10u);
}

TEST(EndToEndTest, SecondServerOnTheSamePortFailsClearly) {
  RigStack rig("sim");
  host::RigdConfig config;
  config.listen = rig.app().address();
  config.runs_dir = testing::MakeTempDir();
  host::RigdApp second(config);
  absl::Status s = second.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("address already in use"));
  testing::RemoveTree(config.runs_dir);
}

TEST(EndToEndTest, SecondRigdOnTheSameRunsDirFailsClearly) {
  RigStack rig("sim");
  host::RigdConfig config;
  config.listen = "127.0.0.1:0";
  config.runs_dir = rig.runs_dir();
  host::RigdApp second(config);
  absl::Status s = second.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("in use by another rigd"));
}

TEST(EndToEndTest, UnknownDeviceAndMissingRigSimAreClearErrors) {
  auto bad = host::MakeTransport("usb9");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("usb9"));

  // No rig-sim listening: rigd still serves, and says why there is no device.
  const int port = testing::FreePort();
  RigStack rig("tcp:127.0.0.1:" + std::to_string(port), absl::Seconds(1));
  EXPECT_FALSE(rig.connected().ok());
  rollrig::v1::RigStatus st = rig.Status();
  EXPECT_NE(st.connection(), rollrig::v1::CONNECTION_STATE_CONNECTED);
  grpc::Status s = rig.Jog(10);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("no device connected"));
}

}  // namespace
}  // namespace rollrig
