#include "article/html.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

article::HtmlArticle news_page() {
  return article::extract_html(testenv::read(testenv::source_dir() / "tests/fixtures/html/news-page.html"));
}

std::string reason_of(const article::HtmlArticle& h, const std::string& text_start) {
  for (const auto& r : h.removals) {
    if (r.text.starts_with(text_start)) return r.rule;
  }
  return "(kept)";
}

TEST(HtmlTest, KeepsHeadingsParagraphsListsAndQuotesOfTheArticle) {
  const std::string expected =
    "# Rechenzentren: Strombedarf steigt stark\n\n"
    "Der Stromverbrauch deutscher Rechenzentren ist im vergangenen Jahr um 27 % gestiegen.\n\n"
    "Nach Angaben des Branchenverbands benötigten die Anlagen rund 1,3 Millionen Megawattstunden "
    "mehr als im Vorjahr.\n\n"
    "## Investitionen in Milliardenhöhe\n\n"
    "Die Betreiber planen Investitionen von 60 bis 65 Milliarden Euro bis 2030.\n\n"
    "- Frankfurt bleibt der größte Standort.\n\n"
    "- Berlin und München wachsen am schnellsten.\n\n"
    "> „Ohne neue Leitungen wird es eng“, sagte eine Sprecherin.\n\n"
    "Mehr als 2.500 Beschäftigte arbeiten inzwischen in der Branche.\n\n";
  EXPECT_EQ(news_page().text, expected);
}

TEST(HtmlTest, EveryPieceOfChromeIsRemovedWithItsReason) {
  const auto h = news_page();
  EXPECT_EQ(reason_of(h, "Wir verwenden Cookies"), "html:cookie-banner");
  EXPECT_EQ(reason_of(h, "Beispiel-Zeitung Politik Tech"), "html:header");
  EXPECT_EQ(reason_of(h, "20. November 2026"), "html:dateline");
  EXPECT_EQ(reason_of(h, "Teilen Posten"), "html:share-buttons");
  EXPECT_EQ(reason_of(h, "Ein Serverraum in Frankfurt"), "html:figure");
  EXPECT_EQ(reason_of(h, "Tech-Newsletter Jeden Freitag"), "html:newsletter");
  EXPECT_EQ(reason_of(h, "Mehr zum Thema"), "html:related-articles");
  EXPECT_EQ(reason_of(h, "3 Kommentare"), "html:comments");
  EXPECT_EQ(reason_of(h, "© 2026 Beispiel-Zeitung"), "html:footer");
  // Code is not text: scripts and styles are neither kept nor reported.
  for (const auto& r : h.removals) {
    EXPECT_EQ(r.text.find("dataLayer"), std::string::npos);
    EXPECT_EQ(r.text.find("font-family"), std::string::npos);
    EXPECT_GT(r.line, 0);
  }
  EXPECT_EQ(h.removals.size(), 9u);
}

TEST(HtmlTest, MetadataComesFromTheMetaTags) {
  const auto m = news_page().meta;
  EXPECT_EQ(m.title, "Rechenzentren: Strombedarf steigt stark");
  EXPECT_EQ(m.url, "https://www.beispiel-zeitung.de/tech/rechenzentren-strombedarf");
  EXPECT_EQ(m.date, "2026-11-20T08:30:00+01:00");
  EXPECT_EQ(m.author, "Erika Mustermann");
  EXPECT_EQ(m.language, "de");
  EXPECT_EQ(m.site, "Beispiel-Zeitung");
}

TEST(HtmlTest, WithoutArticleOrMainTextOutsideIsStillRead_AndLinkListsAreDropped) {
  const auto h = article::extract_html(
    "<html><head><title>Nur Titel</title></head><body>"
    "<p>Ein ganz normaler Absatz mit Text.</p>"
    "<p><a href='/1'>Erster Link</a> <a href='/2'>Zweiter Link</a></p>"
    "<div hidden>versteckt</div><div style='display: none'>auch versteckt</div>"
    "</body></html>");
  EXPECT_EQ(h.text, "# Nur Titel\n\nEin ganz normaler Absatz mit Text.\n\n");
  ASSERT_EQ(h.removals.size(), 3u);
  EXPECT_EQ(h.removals[0].rule, "html:link-list");
  EXPECT_EQ(h.removals[0].detail, "95 % link text"); // the space between the links is not link text
  EXPECT_EQ(h.removals[1].rule, "html:hidden");
  EXPECT_EQ(h.removals[2].rule, "html:hidden");
}

TEST(HtmlTest, TheLargestArticleIsTheContentAndTheRestIsOutside) {
  const auto h = article::extract_html(
    "<body><article><p>Teaser eines anderen Artikels.</p></article>"
    "<article><h1>Haupttitel</h1><p>Der eigentliche Artikel hat deutlich mehr Text als der Teaser.</p></article>"
    "</body>");
  EXPECT_EQ(h.text, "# Haupttitel\n\nDer eigentliche Artikel hat deutlich mehr Text als der Teaser.\n\n");
  ASSERT_EQ(h.removals.size(), 1u);
  EXPECT_EQ(h.removals[0].rule, "html:outside-article");
  EXPECT_EQ(h.meta.title, "Haupttitel");
}

} // namespace
