// Extracts an article from a saved web page with gumbo (Google's HTML5
// parser, Debian libgumbo-dev). Kept: h1–h3 (as Markdown headings),
// paragraphs, list items and blockquotes of the main content (the largest
// <article>, else <main>, else <body>). Left out, each recorded with its
// reason: script/style, nav, header and footer outside the article, aside,
// forms, figures, hidden elements, elements whose class, id or role names a
// cookie banner, newsletter box, comment section, related-article teasers,
// share buttons, advertising or a sidebar, and blocks that are mostly links.
// Title, date, author, URL, language and site come from the meta tags.
#pragma once

#include "article/article.hpp"
#include "article/cleaner.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace article {

struct HtmlArticle {
  std::string text;                   // Markdown: "# title", "## heading", paragraphs, "- item"
  Metadata meta;
  std::vector<Removal> removals;      // line: the element's line in the HTML file
};

HtmlArticle extract_html(std::string_view html);

} // namespace article
