// rig-sim --usb as a user runs it: COMMAND inside the emulated environment, its exit
// status passed through, signals forwarded, and the --control socket.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct Child {
  pid_t pid = -1;
  std::string output_path;
};

// Starts rig-sim ARGS in a session of its own (like a shell job), output to a file.
Child StartRigSim(const std::vector<std::string>& args) {
  Child c;
  c.output_path = testing::TempDir() + "rig_sim_usb_test." + std::to_string(getpid()) + "." +
                  std::to_string(std::rand()) + ".out";
  c.pid = fork();
  if (c.pid == 0) {
    setsid();
    const int fd = open(c.output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    std::string self = RIG_SIM_PATH;
    argv.push_back(self.data());
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(126);
  }
  return c;
}

// Waits up to `limit` for the child; its exit status, or -1 (still running).
int WaitFor(const Child& c, milliseconds limit) {
  const auto deadline = steady_clock::now() + limit;
  while (steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(c.pid, &status, WNOHANG) == c.pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(milliseconds(10));
  }
  return -1;
}

std::string Output(const Child& c) {
  std::ifstream in(c.output_path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int RunToEnd(const std::vector<std::string>& args, std::string* output = nullptr) {
  Child c = StartRigSim(args);
  int status = WaitFor(c, milliseconds(30000));
  if (status < 0) {
    kill(-c.pid, SIGKILL);
    WaitFor(c, milliseconds(5000));
  }
  if (output != nullptr) *output = Output(c);
  std::remove(c.output_path.c_str());
  return status;
}

TEST(RigSimUsbTest, PassesCommandsExitStatusThrough) {
  EXPECT_EQ(RunToEnd({"--usb", "--", "sh", "-c", "exit 7"}), 7);
  EXPECT_EQ(RunToEnd({"--usb", "--", "true"}), 0);
  EXPECT_EQ(RunToEnd({"--usb", "--", "sh", "-c", "kill -9 $$"}), 128 + SIGKILL);
  std::string out;
  EXPECT_EQ(RunToEnd({"--usb", "--", "/nonexistent/command"}, &out), 127);
  EXPECT_NE(out.find("cannot run /nonexistent/command"), std::string::npos) << out;
}

TEST(RigSimUsbTest, RejectsBadArgumentsClearly) {
  std::string out;
  EXPECT_EQ(RunToEnd({"--usb"}, &out), 2);
  EXPECT_NE(out.find("--usb wants a command"), std::string::npos) << out;
  EXPECT_EQ(RunToEnd({"--usb", "--vid-pid", "12:34", "--", "true"}, &out), 2);
  EXPECT_NE(out.find("--vid-pid wants VVVV:PPPP"), std::string::npos) << out;
  EXPECT_EQ(RunToEnd({"--control", "/tmp/x", "--", "true"}, &out), 2);
  EXPECT_NE(out.find("go with --usb"), std::string::npos) << out;
}

TEST(RigSimUsbTest, CommandSeesTheDeviceWithTheSameSerialOnUsbAndInDeviceInfo) {
  std::string out;
  EXPECT_EQ(RunToEnd({"--usb", "--serial", "PROC-42", "--", USB_PROBE_PATH, "hello"}, &out), 0)
      << out;
  EXPECT_NE(out.find("usb=PROC-42 device=PROC-42"), std::string::npos) << out;
  // Another VID:PID: the probe (looking for 1209:0001) finds nothing.
  EXPECT_EQ(RunToEnd({"--usb", "--vid-pid", "16c0:05dc", "--", USB_PROBE_PATH, "hello"}), 4);
}

TEST(RigSimUsbTest, ASecondProcessClaimingTheDeviceGetsBusy) {
  std::string out;
  const std::string script = std::string(USB_PROBE_PATH) + " claim 3000 & sleep 1; " +
                             USB_PROBE_PATH + " claim 0; echo second=$?; wait; echo first=$?";
  EXPECT_EQ(RunToEnd({"--usb", "--", "sh", "-c", script}, &out), 0);
  EXPECT_NE(out.find("second=3"), std::string::npos) << out;
  EXPECT_NE(out.find("first=0"), std::string::npos) << out;
}

TEST(RigSimUsbTest, ForwardsSigtermAndExitsWithTheCommandsStatus) {
  Child c = StartRigSim(
      {"--usb", "--", "sh", "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done"});
  ASSERT_TRUE([&] {
    for (int i = 0; i < 500 && Output(c).find("ready") == std::string::npos; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    return Output(c).find("ready") != std::string::npos;
  }());
  kill(c.pid, SIGTERM);  // rig-sim alone: it forwards to COMMAND
  EXPECT_EQ(WaitFor(c, milliseconds(5000)), 42) << Output(c);
  std::remove(c.output_path.c_str());
}

TEST(RigSimUsbTest, AStubbornCommandIsKilledAfterTheGraceAndTheGroupStopsWithin5s) {
  Child c = StartRigSim(
      {"--usb", "--", "sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"});
  for (int i = 0; i < 500 && Output(c).find("ready") == std::string::npos; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  const auto start = steady_clock::now();
  kill(-c.pid, SIGTERM);  // the whole process group, as a job control shell does
  const int status = WaitFor(c, milliseconds(5000));
  const double seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
  EXPECT_EQ(status, 128 + SIGKILL) << Output(c);
  EXPECT_GE(seconds, 2.0);
  EXPECT_NE(Output(c).find("did not exit within 3 s"), std::string::npos) << Output(c);
  if (status < 0) kill(-c.pid, SIGKILL);
  std::remove(c.output_path.c_str());
}

// One command on the control socket; its reply line.
std::string Command(int fd, const std::string& line) {
  const std::string message = line + "\n";
  if (write(fd, message.data(), message.size()) != static_cast<ssize_t>(message.size())) return "";
  std::string reply;
  char ch;
  while (read(fd, &ch, 1) == 1 && ch != '\n') reply += ch;
  return reply;
}

TEST(RigSimUsbTest, TheControlSocketScriptsFaults) {
  const std::string socket_path =
      testing::TempDir() + "rig_sim_usb_control." + std::to_string(getpid());
  Child c = StartRigSim({"--usb", "--unplugged", "--control", socket_path, "--", "sleep", "60"});
  int fd = -1;
  for (int i = 0; i < 500 && fd < 0; ++i) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, socket_path.c_str(), sizeof(address.sun_path) - 1);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      close(fd);
      fd = -1;
      std::this_thread::sleep_for(milliseconds(10));
    }
  }
  ASSERT_GE(fd, 0) << Output(c);
  EXPECT_NE(Command(fd, "stats").find("ok plugged=0 "), std::string::npos);
  EXPECT_EQ(Command(fd, "plug"), "ok plugged /dev/bus/usb/001/002");
  EXPECT_NE(Command(fd, "stats").find("plugged=1 device_number=2 "), std::string::npos);
  EXPECT_EQ(Command(fd, "unplug"), "ok unplugged");
  // Already unplugged: replug only plugs.
  EXPECT_EQ(Command(fd, "replug 20"), "ok replugged after 20 ms at /dev/bus/usb/001/003");
  EXPECT_EQ(Command(fd, "reset"), "ok reset, re-enumerated at /dev/bus/usb/001/004");
  // A hang ends in a reset by the device's hardware watchdog, which re-enumerates it.
  EXPECT_EQ(Command(fd, "hang"),
            "ok firmware hung; its watchdog reset it, re-enumerated at /dev/bus/usb/001/005");
  EXPECT_EQ(Command(fd, "unhang"),
            "error: nothing to unhang: the device's hardware watchdog resets a hung firmware "
            "(hang reports it)");
  const std::string stats = Command(fd, "stats");
  EXPECT_NE(stats.find(" plugs=4 unplugs=3 resets=2 "), std::string::npos) << stats;
  EXPECT_EQ(Command(fd, "replug soon"),
            "error: replug wants the milliseconds to stay unplugged, 0..60000");
  EXPECT_EQ(Command(fd, "fly"),
            "error: unknown command \"fly\" (try unplug, plug, replug MS, reset, hang, stats)");
  close(fd);
  kill(c.pid, SIGTERM);
  EXPECT_EQ(WaitFor(c, milliseconds(5000)), 128 + SIGTERM);
  EXPECT_NE(access(socket_path.c_str(), F_OK), 0);  // removed on exit
  std::remove(c.output_path.c_str());
}

}  // namespace
