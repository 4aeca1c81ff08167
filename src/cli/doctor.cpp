#include "cli/doctor.hpp"

#include "config/config.hpp"
#include "llm/codec.hpp"
#include "llm/errors.hpp"
#include "llm/transport.hpp"
#include "pipeline/runner.hpp"
#include "prompt/prompt_set.hpp"
#include "util/error.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace cli {

namespace {

struct Check {
  std::string what;
  bool ok = false;
  std::string detail;
  std::string fix;                    // empty when ok
};

// What to do about a transfer that got no HTTP answer at all.
Check reach_failure(const llm::HttpResponse& r, const config::Endpoint& e) {
  const std::string url = llm::redact_url(e.base_url);
  switch (r.curl_code) {
  case CURLE_COULDNT_RESOLVE_HOST:
    return {"reach", false, r.curl_error, fmt::format("check the host name in endpoint.base_url ({})", url)};
  case CURLE_COULDNT_CONNECT:
    return {"reach", false, r.curl_error,
            fmt::format("nothing listens at {}: start the server or fix the port in endpoint.base_url", url)};
  case CURLE_OPERATION_TIMEDOUT:
    return {"reach", false, r.curl_error,
            "no answer within endpoint.connect_timeout_s: check the network, a proxy or a firewall"};
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CONNECT_ERROR:
    return {"reach", false, r.curl_error,
            "TLS failed: set endpoint.ca_file to the server's CA bundle (PEM), or check http:// vs https://"};
  default:
    return {"reach", false, r.curl_error, fmt::format("check endpoint.base_url ({})", url)};
  }
}

std::string protocol(const llm::HttpResponse& r) {
  return r.http_version == 2 ? "HTTP/2" : r.http_version == 3 ? "HTTP/3" : "HTTP/1.1";
}

bool served(const std::vector<std::string>& ids, const std::string& model) {
  return std::ranges::any_of(ids, [&](const std::string& id) {
    return id == model || id == model + ":latest"; // Ollama tags an untagged name :latest
  });
}

std::string first_models(const std::vector<std::string>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < 5; ++i) out += (i ? ", " : "") + ids[i];
  return ids.size() > 5 ? out + ", ..." : out;
}

std::string fix_for(llm::ErrorKind kind, const config::Endpoint& e) {
  switch (kind) {
  case llm::ErrorKind::auth:
    return fmt::format("set ${} to a valid key for this endpoint", e.api_key_env);
  case llm::ErrorKind::quota: return "add credit or raise the spend limit, or configure a fallback";
  case llm::ErrorKind::not_found:
    return "check endpoint.model and endpoint.base_url (OpenAI-compatible URLs usually end in /v1)";
  case llm::ErrorKind::throttle:
  case llm::ErrorKind::overloaded: return "the endpoint is busy: try again, or lower limits.max_in_flight";
  case llm::ErrorKind::gateway:
  case llm::ErrorKind::malformed:
    return "this URL does not answer like the configured endpoint.provider: check both";
  case llm::ErrorKind::tls: return "set endpoint.ca_file to the server's CA bundle (PEM)";
  default: return "see the detail";
  }
}

// Auth, model and a tiny request after the endpoint was reached.
void check_api(const config::Endpoint& ce, const llm::Endpoint& e, const llm::HttpResponse& listing,
               std::vector<Check>& checks) {
  if (listing.status == 401 || listing.status == 403) {
    checks.push_back({"auth", false, fmt::format("HTTP {}", listing.status),
                      e.api_key.empty()
                        ? fmt::format("export {}=<your key> (keys never go in config.yaml)", ce.api_key_env)
                        : fix_for(llm::ErrorKind::auth, ce)});
    return;
  }
  const auto ids = llm::listed_models(listing);
  if (listing.status >= 200 && listing.status < 300) {
    checks.push_back({"auth", true, e.api_key.empty() ? "no key needed" : "the key is accepted", ""});
  }
  if (!ids.empty()) {
    checks.push_back(served(ids, ce.model)
                       ? Check{"model", true, ce.model + " is served", ""}
                       : Check{"model", false, ce.model + " is not served",
                               "set endpoint.model to one of: " + first_models(ids)});
  }
  llm::ChatRequest ping;
  ping.model = ce.model;
  ping.messages = {{"system", "Answer with the single word OK."}, {"user", "OK?"}};
  ping.temperature = ce.temperature;
  ping.max_output_tokens = 64;
  ping.estimated_prompt_tokens = 12;
  const auto& codec = llm::codec_for(e.provider);
  const auto started = std::chrono::steady_clock::now();
  llm::HttpRequest request = codec.encode(ping, e);
  request.limits = e.transfer;
  const llm::HttpResponse answer = llm::fetch_once(std::move(request));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const llm::ChatOutcome out = codec.decode(answer, ping);
  if (out || out.error().kind == llm::ErrorKind::truncated) {
    checks.push_back({"test request", true, fmt::format("answered in {:.2f} s", seconds), ""});
  } else {
    checks.push_back({"test request", false, llm::describe(out.error()), fix_for(out.error().kind, ce)});
  }
}

std::vector<Check> check_endpoint(const config::Endpoint& ce) {
  std::vector<Check> checks;
  const llm::Endpoint e = pipeline::llm_endpoint(ce);
  if (!ce.api_key_env.empty() && e.api_key.empty()) { // fine for a local server; auth tells
    checks.push_back({"key", true, fmt::format("${} is not set: no key is sent", ce.api_key_env), ""});
  }
  llm::HttpRequest models = llm::models_request(e);
  models.limits = e.transfer;
  const llm::HttpResponse listing = llm::fetch_once(std::move(models));
  if (listing.curl_code != 0) {
    checks.push_back(reach_failure(listing, ce));
    return checks;
  }
  checks.push_back({"reach", true, fmt::format("{} over {}", llm::redact_url(ce.base_url), protocol(listing)), ""});
  check_api(ce, e, listing, checks);
  return checks;
}

std::string scrub(std::string text, const std::string& key) {
  llm::scrub_secret(text, key);
  return text;
}

void print(const std::string& scope, const Check& c, const std::string& key) {
  std::printf("%-28s %-4s  %s\n", (scope + c.what).c_str(), c.ok ? "ok" : "FAIL",
              scrub(c.detail, key).c_str());
  if (!c.ok) std::printf("%-28s %-4s  fix: %s\n", "", "", scrub(c.fix, key).c_str());
}

} // namespace

int doctor_command(const Options& o) {
  config::Config cfg;
  try {
    cfg = config::load(o.config);
    print("", {"config", true, o.config.string(), ""}, "");
    prompt::PromptSet::load(cfg.prompts_dir);
    print("", {"prompts", true, cfg.prompts_dir.string(), ""}, "");
  } catch (const util::Error& e) {
    print("", {"config and prompts", false, e.what(), "fix the line named above"}, "");
    return static_cast<int>(util::ExitCode::usage);
  }
  std::vector<config::Endpoint> endpoints = {cfg.endpoint};
  endpoints.insert(endpoints.end(), cfg.fallbacks.begin(), cfg.fallbacks.end());
  bool all_ok = true;
  for (const auto& ce : endpoints) {
    if (ce.base_url.empty()) {
      print(ce.name + ": ", {"base_url", false, "empty", "set endpoint.base_url or LINGOPIPE_BASE_URL"}, "");
      all_ok = false;
      continue;
    }
    const std::string key = pipeline::llm_endpoint(ce).api_key;
    std::printf("%s (%s:%s)\n", ce.name.c_str(), ce.provider.c_str(), ce.model.c_str());
    for (const auto& c : check_endpoint(ce)) {
      print("  ", c, key);
      all_ok = all_ok && c.ok;
    }
  }
  return static_cast<int>(all_ok ? util::ExitCode::ok : util::ExitCode::endpoint_unusable);
}

} // namespace cli
