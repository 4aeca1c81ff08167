#include "export/templates.hpp"

#include "util/error.hpp"

#include <fmt/format.h>
#include <kainjow/mustache.hpp>

namespace exporter {

namespace {

using kainjow::mustache::data;

// Mustache's own view of JSON: objects and lists as they are, null as false
// (so {{#field}} skips it), numbers as their JSON text.
data to_data(const nlohmann::ordered_json& j) {
  switch (j.type()) {
  case nlohmann::ordered_json::value_t::object: {
    data d{data::type::object};
    for (const auto& [key, value] : j.items()) d.set(key, to_data(value));
    return d;
  }
  case nlohmann::ordered_json::value_t::array: {
    data d{data::type::list};
    for (const auto& value : j) d.push_back(to_data(value));
    return d;
  }
  case nlohmann::ordered_json::value_t::string: return data(j.get<std::string>());
  case nlohmann::ordered_json::value_t::boolean: return data(j.get<bool>());
  case nlohmann::ordered_json::value_t::null: return data(false);
  default: return data(j.dump());
  }
}

} // namespace

std::string render_template(std::string_view text, const nlohmann::ordered_json& context,
                            Escape escape, const std::string& name) {
  kainjow::mustache::mustache tmpl{std::string(text)};
  if (escape == Escape::none) {
    tmpl.set_custom_escape([](const std::string& s) { return s; });
  }
  if (!tmpl.is_valid()) {
    throw util::Error(fmt::format("{}: template error: {}; fix the template or remove it from "
                                  "config.yaml to use the default",
                                  name, tmpl.error_message()));
  }
  std::string out = tmpl.render(to_data(context));
  if (!tmpl.is_valid()) {
    throw util::Error(fmt::format("{}: template error: {}", name, tmpl.error_message()));
  }
  return out;
}

} // namespace exporter
