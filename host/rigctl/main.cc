#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "host/rigctl/rigctl.h"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // `rigctl watch | head` must not die with a signal
  std::vector<std::string> args(argv + 1, argv + argc);
  return rollrig::host::RunRigctl(args, std::cout, std::cerr);
}
