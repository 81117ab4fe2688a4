#include "host/metrics/metrics_responder.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "prometheus/text_serializer.h"

namespace rollrig::host {
namespace {

namespace http = boost::beast::http;

MetricsResponse Plain(const MetricsRequest& request, http::status status, std::string body) {
  MetricsResponse response(status, request.version());
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

}  // namespace

MetricsResponder::MetricsResponder(std::shared_ptr<prometheus::Collectable> collectable,
                                   std::shared_ptr<const MetricsAuth> auth)
    : collectable_(std::move(collectable)), auth_(std::move(auth)) {}

bool MetricsResponder::Authorized(const MetricsRequest& request) const {
  const auto header = request.find(http::field::authorization);
  if (header == request.end()) return false;
  const absl::string_view value(header->value().data(), header->value().size());
  constexpr absl::string_view kBasic = "Basic ";
  if (!absl::StartsWithIgnoreCase(value, kBasic)) return false;
  std::string decoded;
  if (!absl::Base64Unescape(value.substr(kBasic.size()), &decoded)) return false;
  const size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  return auth_->Check(decoded.substr(0, colon), decoded.substr(colon + 1));
}

MetricsResponse MetricsResponder::Respond(const MetricsRequest& request) const {
  // Auth first: an unauthenticated client learns nothing, not even which paths exist.
  if (auth_ && !Authorized(request)) {
    MetricsResponse r = Plain(request, http::status::unauthorized, "credentials required\n");
    r.set(http::field::www_authenticate, "Basic realm=\"rollrig metrics\", charset=\"UTF-8\"");
    return r;
  }
  const absl::string_view target(request.target().data(), request.target().size());
  const absl::string_view path = target.substr(0, target.find('?'));
  if (path != "/metrics") {
    return Plain(request, http::status::not_found, "not found: only /metrics is served here\n");
  }
  const bool head = request.method() == http::verb::head;
  if (request.method() != http::verb::get && !head) {
    MetricsResponse r = Plain(request, http::status::method_not_allowed,
                              "method not allowed: /metrics answers GET and HEAD\n");
    r.set(http::field::allow, "GET, HEAD");
    return r;
  }
  MetricsResponse r(http::status::ok, request.version());
  r.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  r.keep_alive(request.keep_alive());
  r.body() = prometheus::TextSerializer().Serialize(collectable_->Collect());
  r.prepare_payload();
  if (head) r.body().clear();  // Content-Length stays the page's
  return r;
}

}  // namespace rollrig::host
