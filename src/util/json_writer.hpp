// One JSON document written piece by piece to a sink, formatted exactly as
// nlohmann's dump(2) formats the whole tree: for documents whose lists grow
// with the batch (the run report), so that they never exist as one tree.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace util {

class JsonWriter {
public:
  using Sink = std::function<void(std::string_view)>;
  explicit JsonWriter(Sink sink) : m_sink(std::move(sink)) {}

  // Inside an object each takes the member's key; inside an array (or for
  // the document itself) none.
  void begin_object(std::string_view key = {});
  void begin_array(std::string_view key = {});
  void value(std::string_view key, const nlohmann::ordered_json& v);
  void value(const nlohmann::ordered_json& v) { value({}, v); }
  // A value dumped earlier with dump(2), e.g. on another thread or parked on
  // disk until the values in front of it are written.
  void dumped(std::string_view key, std::string_view text);
  void dumped(std::string_view text) { dumped({}, text); }
  // Closes the innermost object or array; the last one closed ends the
  // document with a newline.
  void end();

private:
  struct Level {
    char closer;                      // '}' or ']'
    bool empty = true;
  };
  void open_item(std::string_view key);
  void begin(std::string_view key, char bracket);
  std::string indent() const { return std::string(2 * m_levels.size(), ' '); }

  Sink m_sink;
  std::vector<Level> m_levels;        // the objects and arrays open, outermost first
};

} // namespace util
