#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "grpc/support/log.h"
#include "host/rigctl/rigctl.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // `rigctl watch | head` must not die with a signal
  // rigctl says in one line what went wrong (address, certificate or token); gRPC's own
  // log lines (a failed TLS handshake, per attempt) only repeat it. GRPC_VERBOSITY brings
  // them back.
  if (std::getenv("GRPC_VERBOSITY") == nullptr) gpr_set_log_function([](gpr_log_func_args*) {});
  std::vector<std::string> args(argv + 1, argv + argc);
  return rollrig::host::RunRigctl(args, std::cout, std::cerr);
}
