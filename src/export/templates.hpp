// Mustache templates (kainjow/mustache) rendered over the export model. The
// defaults live in src/export/templates/ and are compiled in; config.yaml's
// export.markdown_template and export.html_template name edited copies.
#pragma once

#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace exporter {

// What a template renders from: the template engine's own tree.
using TemplateData = kainjow::mustache::data;

// Mustache's view of JSON: objects and lists as they are, null as false (so
// {{#field}} skips it), numbers as their JSON text.
TemplateData to_template_data(const nlohmann::ordered_json& j);
// A list of `items`, moved in.
TemplateData template_list(std::vector<TemplateData> items);
// Adds `value` to `object` under `key`, moved in.
void set_template_value(TemplateData& object, const std::string& key, TemplateData value);

// A list whose items exist only while the renderer is inside them: the k-th
// is make(indices[k]), made when the renderer enters it and dropped when it
// leaves, so a digest of any size holds one article's data at a time.
// `make` must outlive the rendering; copies of the list make the same items.
using MakeItem = std::function<TemplateData(size_t index)>;
TemplateData lazy_list(const std::vector<size_t>& indices, const MakeItem& make);

extern const std::string_view k_default_markdown_digest_template;
extern const std::string_view k_default_html_digest_template;

// html: every {{value}} is HTML-escaped (&, <, >, ", '), so text from an
// article or an answer can never become markup. none: for Markdown.
enum class Escape { html, none };

// Where rendered text goes, piece by piece as the renderer makes it.
using TextSink = std::function<void(std::string_view)>;

// Throws util::Error naming `name` when the template does not parse or
// does not render (what was written to `out` by then is incomplete).
void render_template(std::string_view text, const TemplateData& context, Escape escape,
                     const std::string& name, const TextSink& out);
std::string render_template(std::string_view text, const TemplateData& context, Escape escape,
                            const std::string& name);

} // namespace exporter
