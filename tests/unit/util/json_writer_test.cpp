#include "util/json_writer.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using nlohmann::ordered_json;

std::string written(const std::function<void(util::JsonWriter&)>& write) {
  std::string out;
  util::JsonWriter w([&](std::string_view s) { out += s; });
  write(w);
  return out;
}

// The report is read by people and diffed between runs: written piece by
// piece it must be the very text the whole tree's dump(2) gives.
TEST(JsonWriterTest, WritesWhatTheWholeTreesDumpWrites) {
  const ordered_json item1 = {{"article", "a"}, {"problems", {{{"flag", "x"}, {"detail", "line\nbreak \"q\""}}}}};
  const ordered_json item2 = {{"article", "b"}, {"problems", ordered_json::array()}};
  const ordered_json whole = {
    {"schema", 1},
    {"checks", {{"repairs", 2}, {"by", ordered_json::object()}, {"flagged", {item1, item2}}}},
    {"empty", ordered_json::array()},
    {"failures", {ordered_json("x"), ordered_json(3)}},
  };
  const std::string text = written([&](util::JsonWriter& w) {
    w.begin_object();
    w.value("schema", 1);
    w.begin_object("checks");
    w.value("repairs", 2);
    w.value("by", ordered_json::object());
    w.begin_array("flagged");
    w.value(item1);
    w.value(item2);
    w.end();
    w.end();
    w.begin_array("empty");
    w.end();
    w.begin_array("failures");
    w.value("x");
    w.value(3);
    w.end();
    w.end();
  });
  EXPECT_EQ(text, whole.dump(2) + "\n");
}

TEST(JsonWriterTest, AnEmptyDocumentIsItsBrackets) {
  EXPECT_EQ(written([](util::JsonWriter& w) { w.begin_array(); w.end(); }), "[]\n");
  EXPECT_EQ(written([](util::JsonWriter& w) { w.begin_object(); w.end(); }), "{}\n");
}

} // namespace
