#include "article/encoding.hpp"
#include "article/loader.hpp"
#include "support/test_env.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

namespace {

TEST(EncodingTest, Utf8WithAndWithoutBomIsTakenAsIs) {
  EXPECT_EQ(article::decode_to_utf8("a.txt", "\xEF\xBB\xBFGr\xC3\xBC\xC3\x9F" "e").text, "Grüße");
  const auto d = article::decode_to_utf8("a.txt", "Grüße");
  EXPECT_EQ(d.text, "Grüße");
  EXPECT_EQ(d.charset, "UTF-8");
  EXPECT_TRUE(d.warning.empty());
}

TEST(EncodingTest, Utf16ByteOrderMarksAreConverted) {
  EXPECT_EQ(article::decode_to_utf8("a.txt", std::string("\xFF\xFE" "G\0\xFC\0", 6)).text, "Gü");
  EXPECT_EQ(article::decode_to_utf8("a.txt", std::string("\xFE\xFF\0G\0\xFC", 6)).text, "Gü");
}

TEST(EncodingTest, Windows1252FallbackWarnsNamingTheFile) {
  // "Grüße – 5 €" in Windows-1252: ü=FC, ß=DF, en dash=96, euro=80.
  const auto d = article::decode_to_utf8("in/alt.txt", "Gr\xFC\xDF" "e \x96 5 \x80");
  EXPECT_EQ(d.text, "Grüße – 5 €");
  EXPECT_EQ(d.charset, "windows-1252");
  EXPECT_EQ(d.warning, "in/alt.txt: not UTF-8 (invalid byte at offset 2); read as windows-1252. "
                       "Save it as UTF-8 or declare its charset to be sure");
}

TEST(EncodingTest, DeclaredHtmlCharsetIsHonoured) {
  const std::string html = "<html><head><meta charset=\"ISO-8859-1\"></head><body>M\xFCnchen</body></html>";
  EXPECT_EQ(article::html_declared_charset(html), "iso-8859-1");
  EXPECT_EQ(article::html_declared_charset(
              "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">"),
            "windows-1252");
  const auto d = article::decode_to_utf8("p.html", html, article::html_declared_charset(html));
  EXPECT_NE(d.text.find("München"), std::string::npos);
  EXPECT_TRUE(d.warning.empty());
}

TEST(EncodingTest, LatinOneHtmlPageLoadsWithItsDeclaredCharset) {
  testenv::TempDir dir;
  testenv::write(dir / "seite.html", "<html><head><meta charset=iso-8859-1><title>Stra\xDF" "e</title></head>"
                                     "<body><article><h1>Stra\xDF" "e</h1><p>Gr\xFC\xDF" "e aus M\xFCnchen.</p></article></body></html>");
  const auto r = article::load_articles({dir / "seite.html"});
  ASSERT_EQ(r.articles.size(), 1u);
  EXPECT_EQ(r.articles[0].format, "html");
  EXPECT_EQ(r.articles[0].text, "# Straße\n\nGrüße aus München.\n\n");
  EXPECT_TRUE(r.warnings.empty());
}

TEST(EncodingTest, AnHtmlPageWithoutArticleTextIsAClearProblem) {
  testenv::TempDir dir;
  testenv::write(dir / "leer.html", "<html><body><nav><a href='/'>Start</a></nav><script>x()</script></body></html>");
  const auto r = article::load_articles({dir / "leer.html"});
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].message, (dir / "leer.html").string() +
                                     ": no article text found in the page (everything was navigation, "
                                     "banners or scripts); save the article page itself");
}

} // namespace
