#include "llm/chat.hpp"
#include "llm/http.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

namespace llm {

const char* kind_name(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::transport: return "transport";
  case ErrorKind::throttle: return "rate_limited";
  case ErrorKind::overloaded: return "server_error";
  case ErrorKind::quota: return "quota";
  case ErrorKind::auth: return "auth";
  case ErrorKind::not_found: return "not_found";
  case ErrorKind::bad_request: return "bad_request";
  case ErrorKind::input_too_long: return "input_too_long";
  case ErrorKind::truncated: return "truncated";
  case ErrorKind::refused: return "refused";
  case ErrorKind::empty: return "empty";
  case ErrorKind::malformed: return "malformed";
  case ErrorKind::gateway: return "gateway";
  case ErrorKind::tls: return "tls";
  case ErrorKind::cancelled: return "not_sent";
  case ErrorKind::unprocessed: return "batch_unprocessed";
  }
  return "unknown";
}

ChatError transport_error(int curl_code, const std::string& curl_error) {
  ChatError e;
  e.message = curl_error.empty() ? fmt::format("transfer failed (curl error {})", curl_code)
                                 : curl_error;
  switch (curl_code) {
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
    e.kind = ErrorKind::tls;
    e.message += "; the server's TLS certificate is not trusted: set endpoint.ca_file to its CA "
                 "bundle (PEM) or check endpoint.base_url";
    break;
  default:
    e.kind = ErrorKind::transport;
  }
  return e;
}

std::string describe(const ChatError& e) {
  std::string out = e.status ? fmt::format("HTTP {} {}", e.status, kind_name(e.kind))
                             : std::string(kind_name(e.kind));
  if (!e.code.empty() && e.code != std::to_string(e.status)) out += " " + e.code;
  if (!e.message.empty()) out += ": " + e.message;
  if (!e.request_id.empty()) out += " (request " + e.request_id + ")";
  return out;
}

std::string redact_url(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t at = url.find('@', start);
  size_t slash = url.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) {
    return url;
  }
  return url.substr(0, start) + "***@" + url.substr(at + 1);
}

} // namespace llm
