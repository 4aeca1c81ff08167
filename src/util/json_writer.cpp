#include "util/json_writer.hpp"

namespace util {

// The separator before an item, its indentation and, in an object, its key.
void JsonWriter::open_item(std::string_view key) {
  std::string text;
  if (!m_levels.empty()) {
    text = m_levels.back().empty ? "\n" : ",\n";
    m_levels.back().empty = false;
    text += indent();
  }
  if (!m_levels.empty() && m_levels.back().closer == '}') {
    text += nlohmann::ordered_json(std::string(key)).dump() + ": ";
  }
  m_sink(text);
}

void JsonWriter::begin(std::string_view key, char bracket) {
  open_item(key);
  m_sink(std::string_view(&bracket, 1));
  m_levels.push_back({bracket == '{' ? '}' : ']'});
}

void JsonWriter::begin_object(std::string_view key) { begin(key, '{'); }

void JsonWriter::begin_array(std::string_view key) { begin(key, '['); }

void JsonWriter::value(std::string_view key, const nlohmann::ordered_json& v) { dumped(key, v.dump(2)); }

void JsonWriter::dumped(std::string_view key, std::string_view text) {
  open_item(key);
  // Raw newlines in a dump are all formatting (those in strings are
  // escaped), so indenting each nests the value at this depth.
  const std::string nested = "\n" + indent();
  size_t pos = 0;
  for (size_t nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    m_sink(text.substr(pos, nl - pos));
    m_sink(nested);
  }
  m_sink(text.substr(pos));
}

void JsonWriter::end() {
  const Level closed = m_levels.back();
  m_levels.pop_back();
  m_sink(closed.empty ? std::string(1, closed.closer) : "\n" + indent() + closed.closer);
  if (m_levels.empty()) m_sink("\n");
}

} // namespace util
