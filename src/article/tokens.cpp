#include "article/tokens.hpp"

#include "util/utf8.hpp"

namespace article {

int estimate_tokens(std::string_view text) {
  return static_cast<int>((util::utf8_length(text) + 2) / 3);
}

} // namespace article
