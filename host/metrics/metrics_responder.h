// What /metrics answers to one HTTP request, apart from the connection it came on: 401 with a
// basic-auth challenge when auth is configured and the request's credentials do not pass,
// 404 for another path, 405 for a method other than GET or HEAD, else 200 with the
// collector's page in the text exposition format (0.0.4).
//
// Thread safety: immutable after construction; Respond may run on any thread if the
// collectable's Collect may.
#pragma once

#include <memory>

#include "boost/beast/http.hpp"
#include "host/metrics/metrics_auth.h"
#include "prometheus/collectable.h"

namespace rollrig::host {

using MetricsRequest = boost::beast::http::request<boost::beast::http::empty_body>;
using MetricsResponse = boost::beast::http::response<boost::beast::http::string_body>;

class MetricsResponder {
 public:
  // `auth` null: no auth asked.
  MetricsResponder(std::shared_ptr<prometheus::Collectable> collectable,
                   std::shared_ptr<const MetricsAuth> auth);

  MetricsResponse Respond(const MetricsRequest& request) const;

 private:
  bool Authorized(const MetricsRequest& request) const;

  const std::shared_ptr<prometheus::Collectable> collectable_;
  const std::shared_ptr<const MetricsAuth> auth_;
};

}  // namespace rollrig::host
