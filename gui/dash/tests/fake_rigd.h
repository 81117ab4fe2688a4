// The dashboard's tests' stand-in server: any RigService implementation served on a free
// loopback port (plaintext) for as long as the FakeRigd lives, and a bounded wait for what
// the client's threads do.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"

namespace rollrig::gui::testing {

class FakeRigd {
 public:
  explicit FakeRigd(grpc::Service* service) {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(service);
    server_ = b.BuildAndStart();
  }
  ~FakeRigd() { server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1)); }
  std::string addr() const { return absl::StrCat("127.0.0.1:", port_); }
  int port() const { return port_; }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

// Polls `done` for up to 10 s (the client's threads run on their own); its last answer.
template <typename Predicate>
bool Eventually(Predicate done) {
  for (int i = 0; i < 1000 && !done(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace rollrig::gui::testing
