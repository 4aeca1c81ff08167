// config.yaml → Config. Every accepted key is declared once in the tables
// below; anything else is an error with a "did you mean" suggestion, because
// the config lives in the project and a typo should not be silently ignored.
#include "config/config.hpp"

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/text.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fmt/format.h>
#include <functional>
#include <limits>

namespace fs = std::filesystem;

namespace config {

namespace {

using Reader = std::function<void(const YAML::Node&, const std::string& key_path)>;

struct Field {
  const char* key;
  Reader read;
  bool required = false;
};

class Loader {
public:
  explicit Loader(fs::path file) : m_file(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key_path,
                         const std::string& problem) const {
    const YAML::Mark mark = node.Mark();
    std::string where = m_file.string();
    if (!mark.is_null()) {
      where += fmt::format(":{}:{}", mark.line + 1, mark.column + 1);
    }
    throw util::Error(fmt::format("{}: {}: {}", where, key_path, problem));
  }

  void read_map(const YAML::Node& node, const std::string& path,
                const std::vector<Field>& fields) const {
    if (!node.IsMap()) {
      fail(node, path, "expected a mapping of keys to values");
    }
    for (const auto& item : node) {
      const std::string key = item.first.as<std::string>();
      const Field* field = find(fields, key);
      if (!field) {
        fail(item.first, join(path, key), unknown_key_message(key, fields));
      }
      field->read(item.second, join(path, key));
    }
    for (const Field& field : fields) {
      if (field.required && !node[field.key]) {
        fail(node, join(path, field.key), "missing required field; add it to this section");
      }
    }
  }

  std::string string(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar()) {
      fail(node, path, "expected a string");
    }
    return node.as<std::string>();
  }

  bool boolean(const YAML::Node& node, const std::string& path) const {
    const std::string v = node.IsScalar() ? node.as<std::string>() : "";
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
    fail(node, path, "expected true or false");
  }

  template <typename Number>
  Number number(const YAML::Node& node, const std::string& path, Number min, Number max) const {
    const char* kind = std::is_integral_v<Number> ? "an integer" : "a number";
    Number value{};
    if (!node.IsScalar() || !YAML::convert<Number>::decode(node, value)) {
      fail(node, path, fmt::format("expected {}, got '{}'", kind, scalar_text(node)));
    }
    if (value < min || value > max) {
      fail(node, path, fmt::format("{} is out of range; allowed is {} to {}", value, min, max));
    }
    return value;
  }

  std::vector<std::string> strings(const YAML::Node& node, const std::string& path) const {
    if (!node.IsSequence()) {
      fail(node, path, "expected a list of strings");
    }
    std::vector<std::string> out;
    for (size_t i = 0; i < node.size(); ++i) {
      out.push_back(string(node[i], fmt::format("{}[{}]", path, i)));
    }
    return out;
  }

  template <typename Rule>
  std::vector<Rule> rules(const YAML::Node& node, const std::string& path,
                          const std::function<std::vector<Field>(Rule&)>& fields_of) const {
    if (!node.IsSequence()) {
      fail(node, path, "expected a list of rules");
    }
    std::vector<Rule> out;
    for (size_t i = 0; i < node.size(); ++i) {
      Rule rule;
      read_map(node[i], fmt::format("{}[{}]", path, i), fields_of(rule));
      out.push_back(std::move(rule));
    }
    return out;
  }

  const fs::path& file() const { return m_file; }

private:
  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  static std::string scalar_text(const YAML::Node& node) {
    return node.IsScalar() ? node.Scalar() : (node.IsSequence() ? "a list" : "a mapping");
  }

  static const Field* find(const std::vector<Field>& fields, const std::string& key) {
    for (const Field& f : fields) {
      if (key == f.key) {
        return &f;
      }
    }
    return nullptr;
  }

  static std::string unknown_key_message(const std::string& key, const std::vector<Field>& fields) {
    std::string best;
    size_t best_distance = std::numeric_limits<size_t>::max();
    std::string known;
    for (const Field& f : fields) {
      size_t d = util::edit_distance(key, f.key);
      if (d < best_distance) {
        best_distance = d;
        best = f.key;
      }
      known += known.empty() ? f.key : std::string(", ") + f.key;
    }
    if (best_distance <= std::max<size_t>(2, key.size() / 3)) {
      return fmt::format("unknown key '{}' (did you mean '{}'?)", key, best);
    }
    return fmt::format("unknown key '{}'; known keys here: {}", key, known);
  }

  fs::path m_file;
};

Where parse_where(const Loader& l, const YAML::Node& node, const std::string& path) {
  const std::string v = l.string(node, path);
  if (v == "any") return Where::any;
  if (v == "first") return Where::first;
  if (v == "last") return Where::last;
  l.fail(node, path, fmt::format("'{}' is not one of any, first, last", v));
}

std::vector<Field> limits_fields(const Loader& l, Limits& x) {
  return {
    {"max_in_flight", [&](auto& n, auto& p) { x.max_in_flight = l.number(n, p, 1, 4096); }},
    {"max_attempts", [&](auto& n, auto& p) { x.max_attempts = l.number(n, p, 1, 100); }},
    {"requests_per_minute",
     [&](auto& n, auto& p) { x.requests_per_minute = l.number(n, p, 0.0, 1e9); }},
    {"tokens_per_minute",
     [&](auto& n, auto& p) { x.tokens_per_minute = l.number(n, p, 0.0, 1e12); }},
    {"backoff_base_s", [&](auto& n, auto& p) { x.backoff_base_s = l.number(n, p, 0.0, 60.0); }},
    {"backoff_max_s", [&](auto& n, auto& p) { x.backoff_max_s = l.number(n, p, 0.0, 3600.0); }},
    {"max_retry_after_s",
     [&](auto& n, auto& p) { x.max_retry_after_s = l.number(n, p, 0.0, 86400.0); }},
    {"max_load_wait_s", [&](auto& n, auto& p) { x.max_load_wait_s = l.number(n, p, 0.0, 86400.0); }},
    {"max_outage_wait_s",
     [&](auto& n, auto& p) { x.max_outage_wait_s = l.number(n, p, 0.0, 86400.0); }},
    {"park_after_overloaded_s",
     [&](auto& n, auto& p) { x.park_after_overloaded_s = l.number(n, p, 0.0, 86400.0); }},
  };
}

std::vector<Field> endpoint_fields(const Loader& l, Endpoint& e) {
  return {
    {"provider", [&](auto& n, auto& p) {
       e.provider = l.string(n, p);
       if (std::ranges::find(k_providers, std::string_view(e.provider)) == std::end(k_providers)) {
         l.fail(n, p, fmt::format("provider '{}' is not one of openai (any OpenAI-compatible "
                                  "server), azure, anthropic, ollama (native API)", e.provider));
       }
     }},
    {"base_url", [&](auto& n, auto& p) { e.base_url = l.string(n, p); }},
    {"model", [&](auto& n, auto& p) { e.model = l.string(n, p); }, true},
    {"api_key_env", [&](auto& n, auto& p) { e.api_key_env = l.string(n, p); }},
    {"temperature", [&](auto& n, auto& p) { e.temperature = l.number(n, p, 0.0, 2.0); }},
    {"max_output_tokens",
     [&](auto& n, auto& p) { e.max_output_tokens = l.number(n, p, 1, 1000000); }},
    {"max_output_tokens_ceiling",
     [&](auto& n, auto& p) { e.max_output_tokens_ceiling = l.number(n, p, 0, 1000000); }},
    {"connect_timeout_s",
     [&](auto& n, auto& p) { e.connect_timeout_s = l.number(n, p, 0.1, 600.0); }},
    {"request_timeout_s",
     [&](auto& n, auto& p) { e.request_timeout_s = l.number(n, p, 1.0, 86400.0); }},
    {"stall_timeout_s", [&](auto& n, auto& p) { e.stall_timeout_s = l.number(n, p, 1.0, 3600.0); }},
    {"ca_file", [&](auto& n, auto& p) { e.ca_file = l.string(n, p); }},
    {"first_byte_timeout_s",
     [&](auto& n, auto& p) { e.first_byte_timeout_s = l.number(n, p, 1.0, 86400.0); }},
    {"reasoning_model", [&](auto& n, auto& p) {
       e.reasoning_model = l.string(n, p);
       if (e.reasoning_model != "auto" && e.reasoning_model != "true" && e.reasoning_model != "false") {
         l.fail(n, p, "must be auto, true or false");
       }
     }},
    {"deployment", [&](auto& n, auto& p) { e.deployment = l.string(n, p); }},
    {"api_version", [&](auto& n, auto& p) { e.api_version = l.string(n, p); }},
    {"anthropic_version", [&](auto& n, auto& p) { e.anthropic_version = l.string(n, p); }},
    {"num_ctx_max", [&](auto& n, auto& p) { e.num_ctx_max = l.number(n, p, 2048, 10000000); }},
    {"keep_alive", [&](auto& n, auto& p) { e.keep_alive = l.string(n, p); }},
    {"stream", [&](auto& n, auto& p) { e.stream = l.boolean(n, p); }},
    {"batch", [&](auto& n, auto& p) { e.batch = l.boolean(n, p); }},
    {"batch_poll_s", [&](auto& n, auto& p) { e.batch_poll_s = l.number(n, p, 0.01, 86400.0); }},
    {"batch_max_requests",
     [&](auto& n, auto& p) { e.batch_max_requests = l.number(n, p, 0, 100000); }},
    {"batch_max_mb", [&](auto& n, auto& p) { e.batch_max_mb = l.number(n, p, 0.0, 256.0); }},
    {"batch_max_waiting_articles",
     [&](auto& n, auto& p) { e.batch_max_waiting_articles = l.number(n, p, 0, 10000000); }},
    {"name", [&](auto& n, auto& p) { e.name = l.string(n, p); }},
    {"limits", [&](auto& n, auto& p) { l.read_map(n, p, limits_fields(l, e.limits.emplace())); }},
  };
}

std::vector<Field> clean_fields(const Loader& l, Clean& c) {
  return {
    {"drop_lines", [&](auto& n, auto& p) {
       c.drop_lines = l.rules<LineRule>(n, p, [&](LineRule& r) {
         return std::vector<Field>{
           {"name", [&](auto& n2, auto& p2) { r.name = l.string(n2, p2); }, true},
           {"pattern", [&](auto& n2, auto& p2) { r.pattern = l.string(n2, p2); }, true},
           {"where", [&](auto& n2, auto& p2) { r.where = parse_where(l, n2, p2); }},
           {"followed_by", [&](auto& n2, auto& p2) { r.followed_by = l.string(n2, p2); }},
         };
       });
     }},
    {"drop_blocks", [&](auto& n, auto& p) {
       c.drop_blocks = l.rules<BlockRule>(n, p, [&](BlockRule& r) {
         return std::vector<Field>{
           {"name", [&](auto& n2, auto& p2) { r.name = l.string(n2, p2); }, true},
           {"start", [&](auto& n2, auto& p2) { r.start = l.string(n2, p2); }, true},
           {"end", [&](auto& n2, auto& p2) { r.end = l.string(n2, p2); }},
           {"max_lines", [&](auto& n2, auto& p2) { r.max_lines = l.number(n2, p2, 1, 1000); }},
         };
       });
     }},
    {"drop_spans", [&](auto& n, auto& p) {
       c.drop_spans = l.rules<SpanRule>(n, p, [&](SpanRule& r) {
         return std::vector<Field>{
           {"name", [&](auto& n2, auto& p2) { r.name = l.string(n2, p2); }, true},
           {"pattern", [&](auto& n2, auto& p2) { r.pattern = l.string(n2, p2); }, true},
         };
       });
     }},
    {"site_rules", [&](auto& n, auto& p) { c.site_rules = l.string(n, p); }},
    {"repeated_lines", [&](auto& n, auto& p) {
       l.read_map(n, p, {
         {"min_articles", [&](auto& n2, auto& p2) { c.repeated_lines.min_articles = l.number(n2, p2, 0, 1000000); }},
         {"min_share", [&](auto& n2, auto& p2) { c.repeated_lines.min_share = l.number(n2, p2, 0.0, 1.0); }},
       });
     }},
    {"score", [&](auto& n, auto& p) {
       l.read_map(n, p, {
         {"threshold", [&](auto& n2, auto& p2) { c.score.threshold = l.number(n2, p2, 0.0, 2.0); }},
         {"max_chars", [&](auto& n2, auto& p2) { c.score.max_chars = l.number(n2, p2, 1, 100000); }},
       });
     }},
  };
}

// The rule lists only: what a per-site rule file may hold.
std::vector<Field> rule_fields(const Loader& l, Clean& c) {
  std::vector<Field> all = clean_fields(l, c);
  std::erase_if(all, [](const Field& f) { return !std::string_view(f.key).starts_with("drop_"); });
  return all;
}

SummaryLength parse_length(const Loader& l, const YAML::Node& node, const std::string& path) {
  const std::string v = l.string(node, path);
  const auto space = v.find(' ');
  const std::string unit = space == std::string::npos ? "" : v.substr(space + 1);
  SummaryLength out;
  try {
    out.count = std::stoi(v.substr(0, space));
  } catch (const std::exception&) {
    out.count = 0;
  }
  out.bullets = unit == "bullets" || unit == "bullet";
  if (out.count < 1 || out.count > 50 || (!out.bullets && unit != "sentences" && unit != "sentence")) {
    l.fail(node, path, fmt::format("'{}' is not a length; write e.g. \"2 sentences\" or \"4 bullets\"", v));
  }
  return out;
}

std::vector<Field> export_fields(const Loader& l, Export& x) {
  return {
    {"dir", [&](auto& n, auto& p) { x.dir = l.string(n, p); }},
    {"formats", [&](auto& n, auto& p) {
       x.formats = l.strings(n, p);
       for (const auto& f : x.formats) {
         if (std::ranges::find(k_export_formats, std::string_view(f)) == std::end(k_export_formats)) {
           l.fail(n, p, fmt::format("format '{}' is not one of md, json, jsonl, csv, html", f));
         }
       }
     }},
    {"markdown_template", [&](auto& n, auto& p) { x.markdown_template = l.string(n, p); }},
    {"html_template", [&](auto& n, auto& p) { x.html_template = l.string(n, p); }},
  };
}

std::vector<Field> top_fields(const Loader& l, Config& c) {
  auto section = [&l](auto fields_of, auto& target) {
    return [&l, fields_of, &target](const YAML::Node& n, const std::string& p) {
      l.read_map(n, p, fields_of(l, target));
    };
  };
  return {
    {"endpoint", section(endpoint_fields, c.endpoint), true},
    {"limits", section(limits_fields, c.limits)},
    {"fallbacks", [&](auto& n, auto& p) {
       c.fallbacks = l.rules<Endpoint>(n, p, [&](Endpoint& e) { return endpoint_fields(l, e); });
       for (size_t i = 0; i < c.fallbacks.size(); ++i) {
         if (c.fallbacks[i].name == "primary") c.fallbacks[i].name = fmt::format("fallback-{}", i + 1);
       }
     }},
    {"languages", [&](auto& n, auto& p) {
       l.read_map(n, p, {
         {"source", [&](auto& n2, auto& p2) { c.languages.source = l.string(n2, p2); }},
         {"target", [&](auto& n2, auto& p2) { c.languages.target = l.string(n2, p2); }},
       });
     }},
    {"segment", [&](auto& n, auto& p) {
       l.read_map(n, p, {
         {"max_chunk_tokens",
          [&](auto& n2, auto& p2) { c.segment.max_chunk_tokens = l.number(n2, p2, 50, 1000000); }},
         {"heading_max_chars",
          [&](auto& n2, auto& p2) { c.segment.heading_max_chars = l.number(n2, p2, 10, 1000); }},
         {"heading_max_words",
          [&](auto& n2, auto& p2) { c.segment.heading_max_words = l.number(n2, p2, 1, 100); }},
         {"abbreviations",
          [&](auto& n2, auto& p2) { c.segment.abbreviations = l.strings(n2, p2); }},
       });
     }},
    {"clean", section(clean_fields, c.clean)},
    {"checks", [&](auto& n, auto& p) {
       l.read_map(n, p, {
         {"min_length_ratio", [&](auto& n2, auto& p2) { c.checks.min_length_ratio = l.number(n2, p2, 0.0, 100.0); }},
         {"max_length_ratio", [&](auto& n2, auto& p2) { c.checks.max_length_ratio = l.number(n2, p2, 0.0, 100.0); }},
         {"repair", [&](auto& n2, auto& p2) { c.checks.repair = l.boolean(n2, p2); }},
       });
     }},
    {"summaries", [&](auto& n, auto& p) {
       l.read_map(n, p, {
         {"section", [&](auto& n2, auto& p2) { c.summaries.section = parse_length(l, n2, p2); }},
         {"article", [&](auto& n2, auto& p2) { c.summaries.article = parse_length(l, n2, p2); }},
         {"max_input_tokens", [&](auto& n2, auto& p2) { c.summaries.max_input_tokens = l.number(n2, p2, 100, 10000000); }},
       });
     }},
    {"glossary", [&](auto& n, auto& p) { c.glossary = l.string(n, p); }},
    {"cache", [&](auto& n, auto& p) {
       l.read_map(n, p, {{"path", [&](auto& n2, auto& p2) { c.cache.path = l.string(n2, p2); }}});
     }},
    {"export", section(export_fields, c.exports)},
    {"prompts", [&](auto& n, auto& p) {
       l.read_map(n, p, {{"dir", [&](auto& n2, auto& p2) { c.prompts_dir = l.string(n2, p2); }}});
     }},
    {"inputs", [&](auto& n, auto& p) { c.inputs = l.strings(n, p); }},
    {"currency", [&](auto& n, auto& p) { c.currency = l.string(n, p); }},
    {"prices", [&](const YAML::Node& n, const std::string& p) {
       if (!n.IsMap()) l.fail(n, p, "expected a mapping of model names to prices");
       for (const auto& item : n) {
         const std::string model = item.first.as<std::string>();
         Price& price = c.prices[model];
         l.read_map(item.second, p + "." + model, {
           {"input_per_mtok", [&](auto& n2, auto& p2) { price.input_per_mtok = l.number(n2, p2, 0.0, 1e6); }, true},
           {"output_per_mtok", [&](auto& n2, auto& p2) { price.output_per_mtok = l.number(n2, p2, 0.0, 1e6); }, true},
         });
       }
     }},
  };
}

void apply_env(Endpoint& e) {
  if (const char* v = std::getenv("LINGOPIPE_PROVIDER"); v && *v) e.provider = v;
  if (const char* v = std::getenv("LINGOPIPE_BASE_URL"); v && *v) e.base_url = v;
  if (const char* v = std::getenv("LINGOPIPE_MODEL"); v && *v) e.model = v;
  if (const char* v = std::getenv("LINGOPIPE_API_KEY_ENV"); v && *v) e.api_key_env = v;
  if (e.api_key_env.empty()) e.api_key_env = default_key_env(e.provider);
}

// What one key alone cannot check.
// Ollama sends no header until a cold model is loaded (its own limit is
// 5 minutes), so its first byte may take longer than any later silence.
void default_first_byte_timeout(Endpoint& e) {
  if (e.first_byte_timeout_s <= 0) {
    e.first_byte_timeout_s = e.provider == "ollama" ? std::max(e.stall_timeout_s, 360.0) : e.stall_timeout_s;
  }
}

void check_endpoint(const Endpoint& e, const fs::path& file) {
  if (std::ranges::find(k_providers, std::string_view(e.provider)) == std::end(k_providers)) {
    throw util::Error(fmt::format("LINGOPIPE_PROVIDER '{}' is not one of openai, azure, anthropic, "
                                  "ollama", e.provider));
  }
  if (e.provider == "azure" && !e.deployment.empty() && e.api_version.empty()) {
    throw util::Error(fmt::format("{}: endpoint '{}': api_version is required with deployment "
                                  "(Azure's classic URL), e.g. 2024-10-21; or use the v1 URL "
                                  "https://<resource>.openai.azure.com/openai/v1 without a deployment",
                                  file.string(), e.name));
  }
  if (e.batch && e.provider != "openai" && e.provider != "anthropic") {
    throw util::Error(fmt::format("{}: endpoint '{}': batch: provider {} has no batch API here; "
                                  "batch works with openai and anthropic, or set batch: false",
                                  file.string(), e.name, e.provider));
  }
}

YAML::Node load_yaml(const std::string& text, const fs::path& name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw util::Error(fmt::format("{}:{}:{}: invalid YAML: {}", name.string(), e.mark.line + 1,
                                  e.mark.column + 1, e.msg));
  }
}

void resolve_paths(Config& c) {
  const fs::path base = c.file.parent_path();
  auto resolve = [&](fs::path& p) {
    if (p.is_relative()) p = base / p;
  };
  resolve(c.cache.path);
  resolve(c.exports.dir);
  if (!c.endpoint.ca_file.empty()) {
    resolve(c.endpoint.ca_file);
    if (!fs::is_regular_file(c.endpoint.ca_file)) {
      throw util::Error(fmt::format("{}: endpoint.ca_file: {} does not exist; name a PEM file of CA "
                                    "certificates or remove the key to trust the system's",
                                    c.file.string(), c.endpoint.ca_file.string()));
    }
  }
  if (!c.exports.markdown_template.empty()) resolve(c.exports.markdown_template);
  if (!c.clean.site_rules.empty()) resolve(c.clean.site_rules);
  if (!c.glossary.empty()) {
    resolve(c.glossary);
    if (!fs::is_regular_file(c.glossary)) {
      throw util::Error(fmt::format("{}: glossary: {} does not exist; create the CSV (source term, "
                                    "target term or keep) or remove the key",
                                    c.file.string(), c.glossary.string()));
    }
  }
  if (!c.exports.html_template.empty()) resolve(c.exports.html_template);
  resolve(c.prompts_dir);
  for (auto& input : c.inputs) {
    fs::path p = input;
    resolve(p);
    input = p.string();
  }
}

} // namespace

std::string default_key_env(const std::string& provider) {
  if (provider == "azure") return "AZURE_OPENAI_API_KEY";
  if (provider == "anthropic") return "ANTHROPIC_API_KEY";
  if (provider == "ollama") return "";
  return "OPENAI_API_KEY";
}

bool is_reasoning_model(const Endpoint& e) {
  if (e.reasoning_model != "auto") return e.reasoning_model == "true";
  const std::string& m = e.model;
  const bool o_series = m.size() >= 2 && m[0] == 'o' && std::isdigit(static_cast<unsigned char>(m[1]));
  return o_series || m.starts_with("gpt-5");
}

Config parse(const std::string& text, const fs::path& name) {
  const YAML::Node root = load_yaml(text, name);
  Config config;
  config.file = name;
  Loader loader(name);
  if (!root.IsMap()) {
    throw util::Error(fmt::format("{}: expected a mapping at the top level (endpoint:, limits:, ...)",
                                  name.string()));
  }
  loader.read_map(root, "", top_fields(loader, config));
  apply_env(config.endpoint);
  check_endpoint(config.endpoint, config.file);
  default_first_byte_timeout(config.endpoint);
  for (auto& fallback : config.fallbacks) {
    default_first_byte_timeout(fallback);
    if (fallback.api_key_env.empty()) fallback.api_key_env = default_key_env(fallback.provider);
    check_endpoint(fallback, config.file);
  }
  resolve_paths(config);
  return config;
}

Clean load_clean_rules(const fs::path& path) {
  const YAML::Node root = load_yaml(util::read_file(path), path);
  Clean rules;
  Loader loader(path);
  if (!root.IsNull()) loader.read_map(root, "", rule_fields(loader, rules));
  return rules;
}

Config load(const fs::path& path) {
  if (!fs::exists(path)) {
    throw util::Error(fmt::format("{}: config file not found; pass --config PATH or run from "
                                  "the project folder",
                                  path.string()));
  }
  return parse(util::read_file(path), path);
}

} // namespace config
