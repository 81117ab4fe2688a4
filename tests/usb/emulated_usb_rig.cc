#include "tests/usb/emulated_usb_rig.h"

#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace rollrig::testing {
namespace {

std::string MakeDir(const char* prefix) {
  std::string path = std::string("/tmp/") + prefix + "-XXXXXX";
  return mkdtemp(path.data()) ? path : "";
}

std::string Replace(std::string s, const std::string& what, const std::string& with) {
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
    s.replace(at, what.size(), with);
  return s;
}

}  // namespace

long RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

EmulatedUsbRig::EmulatedUsbRig(EmulatedUsbRigOptions options) {
  addr_ = "127.0.0.1:" + std::to_string(FreePort());
  runs_dir_ = MakeDir("rollrig-usb-runs");
  control_path_ = runs_dir_ + ".control";
  std::vector<std::string> args = {"--usb", "--control", control_path_};
  args.insert(args.end(), options.rig_sim_args.begin(), options.rig_sim_args.end());
  args.push_back("--");
  if (options.command.empty()) {
    args.insert(args.end(), {RIGD_PATH, "--device", options.device_spec, "--listen", addr_,
                             "--runs-dir", runs_dir_});
  } else {
    for (const std::string& a : options.command) {
      args.push_back(
          Replace(Replace(Replace(a, "{rigd}", RIGD_PATH), "{addr}", addr_), "{runs}", runs_dir_));
    }
  }
  rig_sim_ = std::make_unique<ChildProcess>(RIG_SIM_PATH, args);
  channel_ = grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials());
  stub_ = rollrig::v1::RigService::NewStub(channel_);

  // Serving once GetStatus answers (rig-sim re-executes itself under the preload first).
  bool serving = false;
  for (int i = 0; i < 300 && !serving; ++i) {
    if (!rig_sim_->running()) break;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    rollrig::v1::RigStatus st;
    serving = stub_->GetStatus(&ctx, rollrig::v1::GetStatusRequest(), &st).ok();
    if (!serving) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!serving) {
    error_ = "rig-sim --usb -- rigd did not serve: " + rig_sim_->Output();
    return;
  }
  rollrig::v1::AcquireLeaseRequest lease_req;
  lease_req.set_holder("usb-test@localhost");
  lease_req.set_client("tests");
  lease_req.set_ttl_s(3600);
  rollrig::v1::LeaseInfo lease;
  grpc::ClientContext lease_ctx;
  if (grpc::Status s = stub_->AcquireLease(&lease_ctx, lease_req, &lease); !s.ok()) {
    error_ = "AcquireLease: " + s.error_message();
    return;
  }
  lease_token_ = lease.token();
  if (options.wait_connected && !WaitConnected(20)) {
    error_ = "the device never connected over USB: " + Status().detail() + "\n" + Output();
  }
}

EmulatedUsbRig::~EmulatedUsbRig() {
  // rig-sim forwards SIGTERM to its command; whatever else the command started (a
  // background rigd of a shell command) is killed with the process group.
  rig_sim_->Stop(10);
  std::error_code ec;
  std::filesystem::remove_all(runs_dir_, ec);
  std::filesystem::remove(control_path_, ec);
}

std::string EmulatedUsbRig::Control(const std::string& command) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof(a.sun_path), "%s", control_path_.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return "error: cannot connect to the control socket " + control_path_;
  }
  const std::string line = command + "\n";
  if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    close(fd);
    return "error: write to the control socket failed";
  }
  std::string reply;
  char c;
  while (read(fd, &c, 1) == 1 && c != '\n') reply.push_back(c);
  close(fd);
  return reply;
}

std::unique_ptr<grpc::ClientContext> EmulatedUsbRig::Context(int deadline_s) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("rollrig-lease", lease_token_);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_s));
  return ctx;
}

rollrig::v1::RigStatus EmulatedUsbRig::Status() {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  rollrig::v1::RigStatus st;
  stub_->GetStatus(&ctx, rollrig::v1::GetStatusRequest(), &st);
  return st;
}

bool EmulatedUsbRig::WaitConnected(double timeout_s) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int(timeout_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (Status().connection() == rollrig::v1::CONNECTION_STATE_CONNECTED) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

pid_t EmulatedUsbRig::RigdPid() const {
  const std::string parent = std::to_string(rig_sim_->pid());
  DIR* proc = opendir("/proc");
  if (!proc) return -1;
  pid_t found = -1;
  while (dirent* e = readdir(proc)) {
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
    const size_t close_paren = text.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream rest(text.substr(close_paren + 2));
    std::string state, ppid;
    rest >> state >> ppid;
    if (ppid == parent && text.find("(rigd)") != std::string::npos) {
      found = pid;
      break;
    }
  }
  closedir(proc);
  return found;
}

std::string EmulatedUsbRig::Output() const { return rig_sim_->Output(); }

}  // namespace rollrig::testing
