#include "article/html.hpp"

#include "util/text.hpp"

#include <fmt/format.h>
#include <gumbo.h>

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <utility>

namespace article {

namespace {

struct GumboOutputDeleter {
  void operator()(GumboOutput* out) const { gumbo_destroy_output(&kGumboDefaultOptions, out); }
};

std::string_view attribute(const GumboNode* node, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&node->v.element.attributes, name);
  return a ? std::string_view(a->value) : std::string_view();
}

std::vector<const GumboNode*> children(const GumboNode* node) {
  std::vector<const GumboNode*> out;
  if (node->type != GUMBO_NODE_ELEMENT && node->type != GUMBO_NODE_DOCUMENT) return out;
  const GumboVector& v = node->type == GUMBO_NODE_ELEMENT ? node->v.element.children
                                                           : node->v.document.children;
  for (unsigned i = 0; i < v.length; ++i) out.push_back(static_cast<const GumboNode*>(v.data[i]));
  return out;
}

bool is_element(const GumboNode* node, GumboTag tag) {
  return node->type == GUMBO_NODE_ELEMENT && node->v.element.tag == tag;
}

// Whitespace runs become one space; the result is trimmed.
std::string collapse_spaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

void append_text(const GumboNode* node, std::string& out) {
  if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
      node->type == GUMBO_NODE_CDATA) {
    out += node->v.text.text;
    out += ' ';
    return;
  }
  if (is_element(node, GUMBO_TAG_SCRIPT) || is_element(node, GUMBO_TAG_STYLE)) return;
  for (const GumboNode* child : children(node)) append_text(child, out);
}

std::string text_of(const GumboNode* node) {
  std::string raw;
  append_text(node, raw);
  return collapse_spaces(raw);
}

const GumboNode* find_first(const GumboNode* node, GumboTag tag) {
  if (is_element(node, tag)) return node;
  for (const GumboNode* child : children(node)) {
    if (const GumboNode* found = find_first(child, tag)) return found;
  }
  return nullptr;
}

void find_all(const GumboNode* node, GumboTag tag, std::vector<const GumboNode*>& out) {
  if (is_element(node, tag)) out.push_back(node);
  for (const GumboNode* child : children(node)) find_all(child, tag, out);
}

// The words of class, id, role and aria-label, split at spaces, '-' and '_'.
std::vector<std::string> name_tokens(const GumboNode* node) {
  std::string names;
  for (const char* a : {"class", "id", "role", "aria-label"}) {
    names += util::to_lower_ascii(attribute(node, a));
    names += ' ';
  }
  std::vector<std::string> tokens;
  std::string token;
  for (char c : names) {
    if (c == ' ' || c == '-' || c == '_' || c == '\t' || c == '\n') {
      if (!token.empty()) tokens.push_back(std::move(token));
      token.clear();
    } else {
      token += c;
    }
  }
  return tokens;
}

struct NameRule {
  const char* reason;
  std::array<const char*, 9> words;   // a class/id/role word that names the reason
};

constexpr std::array k_name_rules = {
  NameRule{"cookie-banner", {"cookie", "cookies", "consent", "gdpr", "cmp", "privacy"}},
  NameRule{"newsletter", {"newsletter", "subscribe", "subscription", "signup", "optin"}},
  NameRule{"comments", {"comment", "comments", "disqus", "discussion", "replies"}},
  NameRule{"related-articles", {"related", "teaser", "teasers", "recommended", "recommendations",
                                "outbrain", "taboola", "readmore", "more"}},
  NameRule{"share-buttons", {"share", "sharing", "social", "sharebar"}},
  NameRule{"advertising", {"ad", "ads", "advert", "advertisement", "sponsored", "promo", "banner"}},
  NameRule{"navigation", {"nav", "navbar", "menu", "breadcrumb", "breadcrumbs", "navigation", "pagination"}},
  NameRule{"sidebar", {"sidebar", "complementary", "widget"}},
  NameRule{"overlay", {"modal", "popup", "overlay", "paywall", "dialog"}},
};

const char* reason_from_names(const GumboNode* node) {
  const std::vector<std::string> tokens = name_tokens(node);
  for (const NameRule& rule : k_name_rules) {
    for (const char* word : rule.words) {
      if (word && std::ranges::find(tokens, word) != tokens.end()) return rule.reason;
    }
  }
  return nullptr;
}

bool is_hidden(const GumboNode* node) {
  const std::string style = util::to_lower_ascii(attribute(node, "style"));
  return gumbo_get_attribute(&node->v.element.attributes, "hidden") ||
         attribute(node, "aria-hidden") == "true" ||
         style.find("display:none") != std::string::npos ||
         style.find("display: none") != std::string::npos;
}

// A <time> that is not inside a sentence is the article's dateline: it is
// metadata (read_meta), not text to translate.
bool is_dateline(const GumboNode* node) {
  const GumboNode* parent = node->parent;
  if (!parent || parent->type != GUMBO_NODE_ELEMENT) return false;
  switch (parent->v.element.tag) {
  case GUMBO_TAG_P: case GUMBO_TAG_LI: case GUMBO_TAG_SPAN: case GUMBO_TAG_A: case GUMBO_TAG_EM:
  case GUMBO_TAG_STRONG: case GUMBO_TAG_B: case GUMBO_TAG_I: case GUMBO_TAG_TD: case GUMBO_TAG_H1:
  case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_BLOCKQUOTE:
    return false;
  default:
    return true;
  }
}

// Why an element is left out with everything inside it, or null to keep it.
// A class or id that names the reason ("newsletter-box") wins over the tag
// ("aside"), so the report says what the thing was.
const char* drop_reason(const GumboNode* node, bool in_main) {
  switch (node->v.element.tag) {
  case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT: case GUMBO_TAG_TEMPLATE:
  case GUMBO_TAG_SVG: case GUMBO_TAG_IFRAME: case GUMBO_TAG_HEAD:
    return "non-text";
  default: break;
  }
  if (is_hidden(node)) return "hidden";
  if (const char* reason = reason_from_names(node)) return reason;
  switch (node->v.element.tag) {
  case GUMBO_TAG_NAV: return "navigation";
  case GUMBO_TAG_ASIDE: return "sidebar";
  case GUMBO_TAG_FORM: case GUMBO_TAG_BUTTON: case GUMBO_TAG_SELECT: return "form";
  case GUMBO_TAG_FIGURE: return "figure";
  case GUMBO_TAG_FOOTER: return "footer";
  case GUMBO_TAG_HEADER: return in_main ? nullptr : "header"; // an article's own header holds its title
  case GUMBO_TAG_TIME: return is_dateline(node) ? "dateline" : nullptr;
  default: return nullptr;
  }
}

bool is_block(GumboTag tag) {
  switch (tag) {
  case GUMBO_TAG_P: case GUMBO_TAG_DIV: case GUMBO_TAG_LI: case GUMBO_TAG_UL: case GUMBO_TAG_OL:
  case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5:
  case GUMBO_TAG_H6: case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_SECTION: case GUMBO_TAG_ARTICLE:
  case GUMBO_TAG_MAIN: case GUMBO_TAG_HEADER: case GUMBO_TAG_FOOTER: case GUMBO_TAG_PRE:
  case GUMBO_TAG_TABLE: case GUMBO_TAG_TR: case GUMBO_TAG_TD: case GUMBO_TAG_TH: case GUMBO_TAG_BR:
  case GUMBO_TAG_DL: case GUMBO_TAG_DT: case GUMBO_TAG_DD: case GUMBO_TAG_HR: case GUMBO_TAG_BODY:
  case GUMBO_TAG_ADDRESS:
    return true;
  default:
    return false;
  }
}

// The main content: the <article> with the most text, else <main> or
// role="main", else <body>.
const GumboNode* main_content(const GumboNode* root) {
  std::vector<const GumboNode*> articles;
  find_all(root, GUMBO_TAG_ARTICLE, articles);
  const GumboNode* best = nullptr;
  size_t best_size = 0;
  for (const GumboNode* a : articles) {
    const size_t size = text_of(a).size();
    if (size > best_size) {
      best = a;
      best_size = size;
    }
  }
  if (best) return best;
  if (const GumboNode* m = find_first(root, GUMBO_TAG_MAIN)) return m;
  return find_first(root, GUMBO_TAG_BODY);
}

class Extractor {
public:
  explicit Extractor(const GumboNode* main) : m_main(main) {}

  void walk(const GumboNode* node, bool in_main) {
    if (node == m_main) in_main = true;
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_CDATA ||
        node->type == GUMBO_NODE_WHITESPACE) {
      add_text(node, in_main);
      return;
    }
    if (node->type != GUMBO_NODE_ELEMENT) return;
    const GumboTag tag = node->v.element.tag;
    if (const char* reason = drop_reason(node, in_main)) {
      flush();
      if (std::string_view(reason) == "non-text") return; // code, not text anyone reads
      if (std::string text = text_of(node); !text.empty()) {
        removals.push_back({line_of(node), std::move(text), std::string("html:") + reason, {}});
      }
      return;
    }
    const bool block = is_block(tag);
    if (block) {
      flush();
      begin_block(node, in_main);
    }
    const bool link = tag == GUMBO_TAG_A;
    if (link) ++m_in_link;
    if (tag == GUMBO_TAG_BLOCKQUOTE) ++m_in_quote;
    for (const GumboNode* child : children(node)) walk(child, in_main);
    if (tag == GUMBO_TAG_BLOCKQUOTE) --m_in_quote;
    if (link) --m_in_link;
    if (block) flush();
  }

  void finish() { flush(); }

  std::vector<std::string> paragraphs;
  std::vector<Removal> removals;
  bool has_h1 = false;

private:
  static int line_of(const GumboNode* node) {
    return static_cast<int>(node->v.element.start_pos.line);
  }

  void begin_block(const GumboNode* node, bool in_main) {
    m_block = {};
    m_block.in_main = in_main;
    m_block.line = line_of(node);
    switch (node->v.element.tag) {
    case GUMBO_TAG_H1: m_block.prefix = "# "; m_block.heading = true; break;
    case GUMBO_TAG_H2: case GUMBO_TAG_H3: m_block.prefix = "## "; m_block.heading = true; break;
    case GUMBO_TAG_LI: m_block.prefix = "- "; break;
    default: break;
    }
    m_block.is_h1 = is_element(node, GUMBO_TAG_H1);
  }

  void add_text(const GumboNode* node, bool in_main) {
    if (m_block.raw.empty() && !m_block.started) {
      m_block.in_main = in_main;
      m_block.line = static_cast<int>(node->v.text.start_pos.line);
    }
    m_block.started = true;
    m_block.raw += node->v.text.text;
    if (m_in_link > 0) m_block.link_chars += collapse_spaces(node->v.text.text).size();
  }

  // Ends the current block: kept as a paragraph, or recorded as a removal.
  void flush() {
    Block b = std::exchange(m_block, {});
    const std::string text = collapse_spaces(b.raw);
    if (text.empty()) return;
    if (!b.in_main) {
      removals.push_back({b.line, text, "html:outside-article", {}});
      return;
    }
    // A paragraph or list item that is mostly link text is a teaser or a
    // link list; a heading made of a link is still a heading.
    if (!b.heading && b.link_chars * 10 >= text.size() * 6) {
      removals.push_back({b.line, text, "html:link-list",
                          fmt::format("{} % link text", b.link_chars * 100 / text.size())});
      return;
    }
    if (b.is_h1) has_h1 = true;
    paragraphs.push_back((m_in_quote > 0 ? "> " : "") + b.prefix + text);
  }

  struct Block {
    std::string raw;
    std::string prefix;
    size_t link_chars = 0;
    int line = 0;
    bool in_main = false;
    bool heading = false;
    bool is_h1 = false;
    bool started = false;
  };

  const GumboNode* m_main;
  Block m_block;
  int m_in_link = 0;
  int m_in_quote = 0;
};

// <meta property|name=... content=...> and <link rel=canonical>, <html lang>.
Metadata read_meta(const GumboNode* root, const GumboNode* main) {
  Metadata meta;
  std::string page_title, h1, time;
  std::vector<const GumboNode*> metas;
  find_all(root, GUMBO_TAG_META, metas);
  auto set_once = [](std::string& field, std::string_view value) {
    if (field.empty()) field = collapse_spaces(value);
  };
  for (const GumboNode* m : metas) {
    std::string name = util::to_lower_ascii(attribute(m, "property"));
    if (name.empty()) name = util::to_lower_ascii(attribute(m, "name"));
    if (name.empty()) name = util::to_lower_ascii(attribute(m, "itemprop"));
    const std::string_view content = attribute(m, "content");
    if (name == "og:title" || name == "twitter:title") set_once(meta.title, content);
    if (name == "og:url") set_once(meta.url, content);
    if (name == "article:published_time" || name == "date" || name == "dc.date" ||
        name == "datepublished" || name == "pubdate")
      set_once(meta.date, content);
    if (name == "author" || name == "article:author" || name == "dc.creator") set_once(meta.author, content);
    if (name == "og:site_name") set_once(meta.site, content);
  }
  std::vector<const GumboNode*> links;
  find_all(root, GUMBO_TAG_LINK, links);
  for (const GumboNode* l : links) {
    if (util::to_lower_ascii(attribute(l, "rel")) == "canonical") meta.url = collapse_spaces(attribute(l, "href"));
  }
  if (const GumboNode* t = find_first(root, GUMBO_TAG_TITLE)) page_title = text_of(t);
  if (const GumboNode* h = main ? find_first(main, GUMBO_TAG_H1) : nullptr) h1 = text_of(h);
  if (const GumboNode* t = main ? find_first(main, GUMBO_TAG_TIME) : nullptr) time = attribute(t, "datetime");
  set_once(meta.title, h1);
  set_once(meta.title, page_title);
  set_once(meta.date, time);
  if (const GumboNode* html = find_first(root, GUMBO_TAG_HTML)) meta.language = collapse_spaces(attribute(html, "lang"));
  return meta;
}

} // namespace

HtmlArticle extract_html(std::string_view html) {
  std::unique_ptr<GumboOutput, GumboOutputDeleter> parsed(
    gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()));
  const GumboNode* main = main_content(parsed->root);
  HtmlArticle out;
  out.meta = read_meta(parsed->root, main);
  Extractor extractor(main);
  extractor.walk(parsed->root, false);
  extractor.finish();
  if (!extractor.has_h1 && !out.meta.title.empty()) {
    out.text = "# " + out.meta.title + "\n\n";
  }
  for (const std::string& p : extractor.paragraphs) {
    out.text += p;
    out.text += "\n\n";
  }
  out.removals = std::move(extractor.removals);
  return out;
}

} // namespace article
