// A compiled PCRE2 pattern in UTF mode, owned RAII-style. std::regex cannot
// match Unicode classes such as \p{Lu}, which boilerplate rules need.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct pcre2_real_code_8;
struct pcre2_real_match_data_8;

namespace util {

struct Pcre2CodeDeleter {
  void operator()(pcre2_real_code_8* code) const;
};
struct Pcre2MatchDataDeleter {
  void operator()(pcre2_real_match_data_8* data) const;
};

struct Match {
  size_t begin = 0;
  size_t end = 0;
};

class Regex {
public:
  // Throws util::Error naming `where` and the offset of the mistake.
  Regex(std::string_view pattern, std::string_view where);

  bool search(std::string_view text, Match* match = nullptr, size_t start = 0) const;
  const std::string& pattern() const { return m_pattern; }

private:
  std::string m_pattern;
  std::shared_ptr<pcre2_real_code_8> m_code;
};

} // namespace util
