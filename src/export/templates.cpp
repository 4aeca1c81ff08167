#include "export/templates.hpp"

#include "util/error.hpp"

#include <fmt/format.h>

#include <memory>

namespace exporter {

using kainjow::mustache::data;

// kainjow's set() and push_back() take a copy, so building a tree bottom-up
// copies every leaf once per level above it (a digest of 770 articles: 50 ms).
// Each child is moved into place instead: an empty slot is added, then filled
// through the library's const accessor, which points into data we own.
void set_template_value(data& object, const std::string& key, data value) {
  object.set(key, data(false));
  *const_cast<data*>(object.get(key)) = std::move(value);
}

data template_list(std::vector<data> items) {
  data d{data::type::list};
  auto& list = const_cast<kainjow::mustache::list&>(d.list_value());
  list = std::move(items);
  return d;
}

data to_template_data(const nlohmann::ordered_json& j) {
  switch (j.type()) {
  case nlohmann::ordered_json::value_t::object: {
    data d{data::type::object};
    for (const auto& [key, value] : j.items()) set_template_value(d, key, to_template_data(value));
    return d;
  }
  case nlohmann::ordered_json::value_t::array: {
    std::vector<data> items;
    items.reserve(j.size());
    for (const auto& value : j) items.push_back(to_template_data(value));
    return template_list(std::move(items));
  }
  case nlohmann::ordered_json::value_t::string: return data(j.get_ref<const std::string&>());
  case nlohmann::ordered_json::value_t::boolean: return data(j.get<bool>());
  case nlohmann::ordered_json::value_t::null: return data(false);
  default: return data(j.dump());
  }
}

namespace {

// A lazy list's item as the list holds it: a lambda, which no template can
// render as a value, carrying what makes the real item.
struct LazyItem {
  const MakeItem* make;
  size_t index;
  std::string operator()(const std::string&) const { return {}; }
};

const LazyItem* lazy_item(const data& d) {
  return d.is_lambda() ? d.lambda_value().target<LazyItem>() : nullptr;
}

// kainjow's own context, except that entering a lazy list's item makes the
// item (kept until the renderer leaves it) and enters that instead.
class LazyContext final : public kainjow::mustache::basic_context<std::string> {
public:
  explicit LazyContext(const data& root) { push(&root); }

  void push(const data* d) override {
    std::unique_ptr<data> made;
    if (const LazyItem* item = lazy_item(*d)) {
      made = std::make_unique<data>((*item->make)(item->index));
      d = made.get();
    }
    m_made.push_back(std::move(made));
    m_context.push(d);
  }
  void pop() override {
    m_context.pop();
    m_made.pop_back();
  }
  const data* get(const std::string& name) const override { return m_context.get(name); }
  const data* get_partial(const std::string& name) const override { return m_context.get_partial(name); }

private:
  kainjow::mustache::context<std::string> m_context;
  std::vector<std::unique_ptr<data>> m_made; // parallel to m_context's stack; null when not made here
};

// What kainjow's render() writes to: `stream << text`.
struct SinkStream {
  const TextSink& sink;
  SinkStream& operator<<(const std::string& text) {
    sink(text);
    return *this;
  }
};

} // namespace

data lazy_list(const std::vector<size_t>& indices, const MakeItem& make) {
  std::vector<data> items;
  items.reserve(indices.size());
  for (size_t index : indices) items.emplace_back(kainjow::mustache::lambda(LazyItem{&make, index}));
  return template_list(std::move(items));
}

void render_template(std::string_view text, const data& context, Escape escape, const std::string& name,
                     const TextSink& out) {
  kainjow::mustache::mustache tmpl{std::string(text)};
  if (escape == Escape::none) {
    tmpl.set_custom_escape([](const std::string& s) { return s; });
  }
  if (!tmpl.is_valid()) {
    throw util::Error(fmt::format("{}: template error: {}; fix the template or remove it from "
                                  "config.yaml to use the default",
                                  name, tmpl.error_message()));
  }
  LazyContext lazy(context);
  SinkStream stream{out};
  tmpl.render(lazy, stream);
  if (!tmpl.is_valid()) {
    throw util::Error(fmt::format("{}: template error: {}", name, tmpl.error_message()));
  }
}

std::string render_template(std::string_view text, const data& context, Escape escape,
                            const std::string& name) {
  std::string out;
  render_template(text, context, escape, name, [&out](std::string_view piece) { out += piece; });
  return out;
}

} // namespace exporter
