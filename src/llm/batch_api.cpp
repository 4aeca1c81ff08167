#include "llm/batch_api.hpp"

#include "llm/errors.hpp"
#include "llm/rate_limiter.hpp"
#include "util/curl.hpp"
#include "util/hash.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <memory>

using nlohmann::json;

namespace llm {

namespace {

constexpr size_t k_mb = 1024 * 1024;

// Anthropic's API lives under /v1 whether or not base_url names it.
std::string anthropic_v1(const Endpoint& endpoint) {
  const std::string base = join_url(endpoint.base_url, "");
  return base.ends_with("/v1") ? base : base + "/v1";
}

std::string batches_url(const Endpoint& endpoint) {
  return endpoint.provider == Provider::anthropic ? anthropic_v1(endpoint) + "/messages/batches"
                                                  : join_url(endpoint.base_url, "/batches");
}

std::string file_content_url(const Endpoint& endpoint, const std::string& file_id) {
  return join_url(endpoint.base_url, "/files/" + file_id + "/content");
}

// A control request with the headers the provider's chat request carries
// (auth, anthropic-version), which the codec knows.
HttpRequest control_request(const Endpoint& endpoint, std::string method, std::string url) {
  Endpoint plain = endpoint;
  plain.stream = false;
  HttpRequest http = codec_for(endpoint.provider).encode(ChatRequest{}, plain);
  http.method = std::move(method);
  http.url = std::move(url);
  http.body.clear();
  return http;
}

// A string field, or empty when it is missing, null or not a string.
std::string text_field(const json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

BatchPhase openai_phase(const std::string& status) {
  if (status == "completed" || status == "expired" || status == "cancelled") return BatchPhase::ended;
  if (status == "failed") return BatchPhase::failed;
  return BatchPhase::running; // validating, in_progress, finalizing, cancelling
}

void read_openai_status(const json& body, const Endpoint& endpoint, BatchStatus& s) {
  s.status = text_field(body, "status");
  s.input_file_id = text_field(body, "input_file_id");
  if (const auto it = body.find("created_at"); it != body.end() && it->is_number()) {
    s.created_at = it->get<double>();
  }
  s.phase = openai_phase(s.status);
  const json counts = body.value("request_counts", json::object());
  if (counts.is_object()) {
    s.total = counts.value("total", 0);
    s.finished = counts.value("completed", 0) + counts.value("failed", 0);
  }
  for (const char* field : {"output_file_id", "error_file_id"}) {
    if (const std::string id = text_field(body, field); !id.empty()) {
      s.result_urls.push_back(file_content_url(endpoint, id));
    }
  }
  const json errors = body.value("errors", json());
  if (!errors.is_object() || !errors.value("data", json()).is_array()) {
    return;
  }
  for (const json& e : errors["data"]) {
    const std::string message = fmt::format("{}: {}", text_field(e, "code"), text_field(e, "message"));
    if (e.contains("line") && e["line"].is_number_integer() && e["line"].get<long>() > 0) {
      s.line_errors.push_back({e["line"].get<size_t>(), message});
    } else {
      s.error += s.error.empty() ? message : "; " + message;
    }
  }
}

void read_anthropic_status(const json& body, BatchStatus& s) {
  s.status = text_field(body, "processing_status");
  s.created_at = parse_rfc3339(text_field(body, "created_at")).value_or(0);
  s.phase = s.status == "ended" ? BatchPhase::ended : BatchPhase::running; // in_progress, canceling
  const json counts = body.value("request_counts", json::object());
  if (counts.is_object()) {
    for (const char* field : {"processing", "succeeded", "errored", "canceled", "expired"}) {
      s.total += counts.value(field, 0);
    }
    s.finished = s.total - counts.value("processing", 0);
  }
  if (const std::string url = text_field(body, "results_url"); !url.empty()) {
    s.result_urls.push_back(url);
  }
}

// The status Anthropic answers each error type with live (§3), so the
// codec classifies an errored line as it would the live answer.
long anthropic_error_status(const std::string& type) {
  static const std::pair<const char*, long> k_statuses[] = {
    {"invalid_request_error", 400}, {"authentication_error", 401}, {"billing_error", 402},
    {"permission_error", 403},      {"not_found_error", 404},      {"request_too_large", 413},
    {"rate_limit_error", 429},      {"api_error", 500},            {"overloaded_error", 529},
  };
  for (const auto& [name, status] : k_statuses) {
    if (type == name) return status;
  }
  return 500;
}

HttpResponse json_response(long status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.headers["content-type"] = "application/json";
  r.body = body.dump();
  return r;
}

// A result line's error that carries no HTTP answer: `unprocessed` when the
// batch did not get to the request (expired, cancelled: sent again).
ChatError line_error(ErrorKind kind, const std::string& code, const std::string& message) {
  ChatError e;
  e.kind = kind;
  e.code = code;
  e.message = message;
  return e;
}

BatchResult openai_result(const json& line) {
  BatchResult out;
  out.custom_id = text_field(line, "custom_id");
  const json response = line.value("response", json());
  const json error = line.value("error", json());
  // Failed requests come in the error file with status_code 400 and the
  // usual body.error while the top-level error is null (openai-openapi#302):
  // both are read.
  if (response.is_object()) {
    out.response = json_response(response.value("status_code", 0L), response.value("body", json()));
    if (const std::string id = text_field(response, "request_id"); !id.empty()) {
      out.response->headers["x-request-id"] = id;
    }
  }
  // A non-null error is a failure even beside a 200; beside an error status
  // the response's own body says more.
  const bool response_says_more = out.response && out.response->status != 200;
  if (!error.is_object() || response_says_more) {
    return out;
  }
  const std::string code = text_field(error, "code");
  const std::string message = text_field(error, "message");
  const bool not_reached = code.find("expired") != std::string::npos || code.find("cancel") != std::string::npos;
  ChatError e = line_error(not_reached ? ErrorKind::unprocessed : ErrorKind::bad_request, code, message);
  e.status = out.response ? 200 : 0;
  out.error = e;
  out.response.reset();
  return out;
}

BatchResult anthropic_result(const json& line) {
  BatchResult out;
  out.custom_id = text_field(line, "custom_id");
  const json result = line.value("result", json::object());
  const std::string type = result.is_object() ? text_field(result, "type") : std::string();
  if (type == "succeeded") {
    out.response = json_response(200, result.value("message", json()));
  } else if (type == "errored") {
    // {"type":"error","error":{"type":"overloaded_error",...}}, the live error body.
    json body = result.value("error", json::object());
    const json inner = body.is_object() ? body.value("error", json()) : json();
    const std::string error_type = inner.is_object() ? text_field(inner, "type") : text_field(body, "type");
    if (!inner.is_object()) body = {{"type", "error"}, {"error", body}};
    out.response = json_response(anthropic_error_status(error_type), body);
  } else if (type == "canceled" || type == "expired") {
    out.error = line_error(ErrorKind::unprocessed, type, fmt::format("the batch was {} before this request was processed", type));
  } else {
    ChatError e;
    e.kind = ErrorKind::malformed;
    e.message = fmt::format("batch result of unknown type '{}'", type);
    out.error = e;
  }
  return out;
}

} // namespace

BatchLimits batch_limits(Provider provider, int max_requests, double max_mb) {
  BatchLimits limits = provider == Provider::anthropic ? BatchLimits{100000, 256 * k_mb}
                                                       : BatchLimits{50000, 200 * k_mb};
  if (max_requests > 0) limits.max_requests = std::min<size_t>(limits.max_requests, max_requests);
  if (max_mb > 0) limits.max_bytes = std::min(limits.max_bytes, static_cast<size_t>(max_mb * k_mb));
  return limits;
}

BatchLine batch_line(const ChatRequest& request, const Endpoint& endpoint) {
  Endpoint plain = endpoint;
  plain.stream = false; // a batch answers whole
  const HttpRequest http = codec_for(endpoint.provider).encode(request, plain);
  BatchLine out;
  out.custom_id = "lp-" + util::sha256_hex(http.body).substr(0, 40);
  json line = {{"custom_id", out.custom_id}};
  if (endpoint.provider == Provider::anthropic) {
    line["params"] = json::parse(http.body);
  } else {
    line["method"] = "POST";
    line["url"] = util::url_part(http.url, CURLUPART_PATH); // "/v1/chat/completions"
    line["body"] = json::parse(http.body);
  }
  out.line = line.dump();
  return out;
}

namespace {

// Up to `max` bytes of `text` from `offset`: how a piece held in memory is read.
size_t copy_out(std::string_view text, uint64_t offset, char* buffer, size_t max) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(max, text.size() - offset));
  std::memcpy(buffer, text.data() + offset, n);
  return n;
}

// `open`, the lines with `separator` between them, then `close`, read as
// libcurl asks for the next piece: a 200 MB batch is never one string.
DataSource joined(std::string open, BatchLines lines, std::string separator, std::string close) {
  struct Layout {
    std::string open, separator, close;
    BatchLines lines;
    std::vector<uint64_t> starts;     // of each line, then of `close`
  };
  auto layout = std::make_shared<Layout>(Layout{std::move(open), std::move(separator), std::move(close),
                                                std::move(lines), {}});
  uint64_t at = layout->open.size();
  for (size_t i = 0; i < layout->lines.sizes.size(); ++i) {
    if (i > 0) at += layout->separator.size();
    layout->starts.push_back(at);
    at += layout->lines.sizes[i];
  }
  layout->starts.push_back(at);
  const uint64_t size = at + layout->close.size();
  // One piece at a time (libcurl asks again for the rest): the opening, a
  // line, the separator before a line, or the closing.
  auto read = [layout](uint64_t offset, char* buffer, size_t max) -> size_t {
    const Layout& l = *layout;
    if (offset < l.open.size()) return copy_out(l.open, offset, buffer, max);
    if (offset >= l.starts.back()) return copy_out(l.close, offset - l.starts.back(), buffer, max);
    const auto next = std::upper_bound(l.starts.begin(), l.starts.end() - 1, offset);
    const size_t line = static_cast<size_t>(next - l.starts.begin()) - 1;
    const uint64_t end = l.starts[line] + l.lines.sizes[line];
    if (offset < end) return l.lines.read(line, offset - l.starts[line], buffer, std::min<uint64_t>(max, end - offset));
    return copy_out(l.separator, offset - end, buffer, max); // between this line and the next
  };
  return {size, std::move(read)};
}

} // namespace

BatchLines lines_in_memory(std::vector<std::string> lines) {
  BatchLines out;
  for (const auto& line : lines) out.sizes.push_back(line.size());
  auto kept = std::make_shared<const std::vector<std::string>>(std::move(lines));
  out.read = [kept](size_t line, uint64_t offset, char* buffer, size_t max) {
    return copy_out((*kept)[line], offset, buffer, max);
  };
  return out;
}

HttpRequest upload_request(const Endpoint& endpoint, BatchLines lines) {
  HttpRequest http = control_request(endpoint, "POST", join_url(endpoint.base_url, "/files"));
  std::erase_if(http.headers, [](const std::string& h) { return h.starts_with("Content-Type:"); });
  const bool empty = lines.sizes.empty();
  http.form.push_back({"purpose", "batch", "", "", {}});
  http.form.push_back({"file", "", "lingopipe-batch.jsonl", "application/jsonl",
                       joined("", std::move(lines), "\n", empty ? "" : "\n")});
  return http;
}

HttpRequest create_request(const Endpoint& endpoint, const std::string& file_id, BatchLines lines) {
  HttpRequest http = control_request(endpoint, "POST", batches_url(endpoint));
  if (endpoint.provider == Provider::anthropic) {
    http.body_source = joined("{\"requests\":[", std::move(lines), ",", "]}");
  } else {
    http.body = json{{"input_file_id", file_id},
                     {"endpoint", "/v1/chat/completions"},
                     {"completion_window", "24h"},
                     {"metadata", {{"created_by", "lingopipe"}}}}
                  .dump();
  }
  return http;
}

std::optional<std::string> created_id(const HttpResponse& response) {
  const json body = json::parse(response.body, nullptr, false);
  if (!body.is_object()) return std::nullopt;
  const std::string id = text_field(body, "id");
  return id.empty() ? std::nullopt : std::optional(id);
}

HttpRequest status_request(const Endpoint& endpoint, const std::string& batch_id) {
  return control_request(endpoint, "GET", batches_url(endpoint) + "/" + batch_id);
}

// Anthropic's results_url is absolute: the key goes only to the endpoint's own host.
HttpRequest download_request(const Endpoint& endpoint, const std::string& url) {
  HttpRequest http = control_request(endpoint, "GET", url);
  const bool same_origin = util::url_part(url, CURLUPART_HOST) ==
                             util::url_part(endpoint.base_url, CURLUPART_HOST) &&
                           util::url_part(url, CURLUPART_PORT) ==
                             util::url_part(endpoint.base_url, CURLUPART_PORT);
  std::erase_if(http.headers, [same_origin](const std::string& h) {
    const bool auth = h.starts_with("Authorization:") || h.starts_with("x-api-key:") ||
                      h.starts_with("api-key:");
    return h.starts_with("Accept:") || (auth && !same_origin);
  });
  return http;
}

HttpRequest list_request(const Endpoint& endpoint, const std::string& after) {
  const char* cursor = endpoint.provider == Provider::anthropic ? "after_id" : "after";
  std::string url = batches_url(endpoint) + "?limit=100";
  if (!after.empty()) url += fmt::format("&{}={}", cursor, after); // ids are [A-Za-z0-9_-], as in status_request
  return control_request(endpoint, "GET", url);
}

namespace {

std::optional<BatchStatus> read_status(Provider provider, const json& body, const Endpoint& endpoint) {
  const char* field = provider == Provider::anthropic ? "processing_status" : "status";
  if (!body.is_object() || text_field(body, field).empty()) {
    return std::nullopt;
  }
  BatchStatus s;
  s.id = text_field(body, "id");
  if (provider == Provider::anthropic) {
    read_anthropic_status(body, s);
  } else {
    read_openai_status(body, endpoint, s);
  }
  return s;
}

} // namespace

std::optional<BatchStatus> parse_batch_status(Provider provider, const HttpResponse& response,
                                              const Endpoint& endpoint) {
  return read_status(provider, json::parse(response.body, nullptr, false), endpoint);
}

std::optional<BatchList> parse_batch_list(Provider provider, const HttpResponse& response,
                                          const Endpoint& endpoint) {
  const json body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.value("data", json()).is_array()) {
    return std::nullopt;
  }
  BatchList list;
  for (const json& item : body["data"]) {
    if (auto s = read_status(provider, item, endpoint); s && !s->id.empty()) list.batches.push_back(std::move(*s));
  }
  list.has_more = body.value("has_more", false);
  list.last_id = text_field(body, "last_id");
  if (list.last_id.empty() && !list.batches.empty()) list.last_id = list.batches.back().id;
  return list;
}

void for_each_batch_result(Provider provider, std::string_view jsonl, size_t& skipped,
                           const std::function<void(const BatchResult&)>& each) {
  while (!jsonl.empty()) {
    const size_t end = std::min(jsonl.find('\n'), jsonl.size());
    const std::string_view text = jsonl.substr(0, end);
    jsonl.remove_prefix(std::min(end + 1, jsonl.size()));
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const json line = json::parse(text, nullptr, false);
    if (!line.is_object() || text_field(line, "custom_id").empty()) {
      ++skipped;
      continue;
    }
    BatchResult result = provider == Provider::anthropic ? anthropic_result(line) : openai_result(line);
    result.line = text;
    each(result);
  }
}

std::vector<BatchResult> parse_batch_results(Provider provider, std::string_view jsonl, size_t& skipped) {
  std::vector<BatchResult> results;
  for_each_batch_result(provider, jsonl, skipped, [&results](const BatchResult& r) { results.push_back(r); });
  return results;
}

} // namespace llm
