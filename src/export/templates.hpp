// Mustache templates (kainjow/mustache) rendered over the export model. The
// defaults live in src/export/templates/ and are compiled in; config.yaml's
// export.markdown_template and export.html_template name edited copies.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace exporter {

extern const std::string_view k_default_markdown_digest_template;
extern const std::string_view k_default_html_digest_template;

// html: every {{value}} is HTML-escaped (&, <, >, ", '), so text from an
// article or an answer can never become markup. none: for Markdown.
enum class Escape { html, none };

// Throws util::Error naming `name` when the template does not parse.
std::string render_template(std::string_view text, const nlohmann::ordered_json& context,
                            Escape escape, const std::string& name);

} // namespace exporter
