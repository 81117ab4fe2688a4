// rigd with the simulated device for the dashboard's tests: on a free port, with a private
// home and runs directory, stopped with the object; and calls made holding the control lease.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "rollrig/v1/rig_service.grpc.pb.h"
#include "tests/test_process.h"

namespace rollrig::testing {

// rigd with the simulated device on a free port, with a private home and runs directory,
// and a client holding the control lease.
class SimulatedRig {
 public:
  SimulatedRig(const std::string& rigd_bin, const std::string& dir) {
    const std::string home = dir + "/home";
    std::filesystem::create_directories(home);
    // A free port can be taken between FreePort and rigd's bind: retry with another.
    for (int attempt = 0; attempt < 3 && !stub_; ++attempt) {
      addr_ = absl::StrCat("127.0.0.1:", FreePort());
      rigd_ = std::make_unique<ChildProcess>(
          "/usr/bin/env", std::vector<std::string>{
                              "HOME=" + home, "XDG_DATA_HOME=" + home + "/data", rigd_bin,
                              "--device", "sim", "--listen", addr_, "--runs-dir", dir + "/runs"});
      auto channel = grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials());
      if (channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(20))) {
        stub_ = rollrig::v1::RigService::NewStub(channel);
      }
    }
  }
  bool up() const { return stub_ != nullptr; }
  std::string output() const { return rigd_ ? rigd_->Output() : ""; }
  const std::string& addr() const { return addr_; }

  // Retries while the device handshakes after the server came up.
  template <typename Call>
  grpc::Status WithLease(Call call) {
    grpc::Status s;
    for (int i = 0; i < 50; ++i) {
      if (token_.empty()) {
        grpc::ClientContext ctx;
        rollrig::v1::AcquireLeaseRequest req;
        req.set_holder("test@dash");
        req.set_client("dash_screenshot_test");
        rollrig::v1::LeaseInfo lease;
        if (stub_->AcquireLease(&ctx, req, &lease).ok()) token_ = lease.token();
      }
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      ctx.AddMetadata("rollrig-lease", token_);
      s = call(*stub_, &ctx);
      if (s.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return s;
  }

 private:
  std::unique_ptr<ChildProcess> rigd_;
  std::string addr_;
  std::unique_ptr<rollrig::v1::RigService::Stub> stub_;
  std::string token_;
};

}  // namespace rollrig::testing
