#include "export/templates.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace {

using exporter::TemplateData;

// Counts the lazy items alive: each made item holds a Guard until it is dropped.
struct Alive {
  int now = 0;
  int most = 0;
  std::vector<size_t> made;
};

struct Guard {
  explicit Guard(Alive& counts) : alive(counts) { alive.most = std::max(alive.most, ++alive.now); }
  ~Guard() { --alive.now; }
  Alive& alive;
};

exporter::MakeItem counted_items(Alive& alive) {
  return [&alive](size_t i) {
    alive.made.push_back(i);
    auto guard = std::make_shared<Guard>(alive);
    TemplateData item{TemplateData::type::object};
    exporter::set_template_value(item, "name", TemplateData("item " + std::to_string(i)));
    exporter::set_template_value(item, "guard", TemplateData(kainjow::mustache::lambda(
                                                  [guard](const std::string&) { return std::string(); })));
    return item;
  };
}

TEST(TemplatesTest, ALazyListMakesEachItemOnlyWhileTheRendererIsInIt) {
  Alive alive;
  const exporter::MakeItem make = counted_items(alive);
  TemplateData context{TemplateData::type::object};
  exporter::set_template_value(context, "title", TemplateData("T"));
  exporter::set_template_value(context, "items", exporter::lazy_list({2, 0, 1}, make));
  const std::string text = "{{#items}}{{title}}/{{name}}{{#name}}:{{.}}{{/name}};{{/items}}{{^items}}none{{/items}}";
  EXPECT_EQ(exporter::render_template(text, context, exporter::Escape::none, "t"),
            "T/item 2:item 2;T/item 0:item 0;T/item 1:item 1;");
  EXPECT_EQ(alive.made, (std::vector<size_t>{2, 0, 1}));
  EXPECT_EQ(alive.most, 1) << "one item at a time";
  EXPECT_EQ(alive.now, 0) << "every item dropped when the renderer left it";

  const TemplateData copy = context; // a copy makes the same items
  EXPECT_EQ(exporter::render_template("{{#items}}{{name}} {{/items}}", copy, exporter::Escape::none, "t"),
            "item 2 item 0 item 1 ");
}

TEST(TemplatesTest, AnEmptyLazyListIsAnEmptyList) {
  Alive alive;
  const exporter::MakeItem make = counted_items(alive);
  TemplateData context{TemplateData::type::object};
  exporter::set_template_value(context, "items", exporter::lazy_list({}, make));
  EXPECT_EQ(exporter::render_template("{{#items}}x{{/items}}{{^items}}none{{/items}}", context,
                                      exporter::Escape::none, "t"),
            "none");
  EXPECT_TRUE(alive.made.empty());
}

TEST(TemplatesTest, RenderedTextReachesTheSinkAsItIsMade) {
  TemplateData context{TemplateData::type::object};
  exporter::set_template_value(context, "who", TemplateData("<you>"));
  std::vector<std::string> pieces;
  exporter::render_template("one\ntwo {{who}}\nthree", context, exporter::Escape::html, "t",
                            [&pieces](std::string_view text) { pieces.emplace_back(text); });
  std::string whole;
  for (const auto& p : pieces) whole += p;
  EXPECT_EQ(whole, "one\ntwo &lt;you&gt;\nthree");
  EXPECT_GT(pieces.size(), 2u) << "line by line, not one string at the end";
}

} // namespace
