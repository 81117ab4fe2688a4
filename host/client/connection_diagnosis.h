// Why a client could not talk to rigd, in words that say which of the address, the
// certificate or the token is wrong. gRPC reports most of these as one UNAVAILABLE, so a
// failed connection is followed by a probe of the port: nothing listening (the address),
// a plaintext gRPC server where TLS was wanted or the reverse (the --tls-ca choice), or a
// TLS server whose certificate the CA does not vouch for (the certificate).
//
// Any thread; the probe blocks up to its timeout.
#pragma once

#include <string>

#include "grpcpp/grpcpp.h"
#include "host/client/client_settings.h"

namespace rollrig::client {

// What answers at a TCP address.
enum class PortAnswer {
  kNothing,        // no connection (refused, unreachable, unresolvable, timed out)
  kPlaintextGrpc,  // an HTTP/2 server without TLS
  kNotPlaintext,   // accepts connections but answers no plaintext HTTP/2 (TLS)
};

PortAnswer ProbePort(const std::string& addr, double timeout_s);

// How a failure counts for scripts (rigctl maps these to exit statuses).
enum class FailureKind {
  kUnreachable,       // address, TLS or certificate: no working connection
  kUnauthenticated,   // the token is missing, wrong, revoked or expired
  kPermissionDenied,  // the identity's role is too low
  kNotFound,          // no such run, recording, ...
  kRefused,           // rigd or the device refused the request
};

struct Failure {
  FailureKind kind;
  std::string message;  // one line, without a program prefix
};

// The connection to settings.addr failed: probes the port and says why.
std::string DescribeConnectFailure(const ClientSettings& settings);

// A call's failure, classified; connection problems are probed as above.
Failure DescribeCallFailure(const grpc::Status& status, const ClientSettings& settings);

}  // namespace rollrig::client
