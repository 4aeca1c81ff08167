#include "article/tokens.hpp"

#include "util/utf8.hpp"

namespace article {

int estimate_tokens(std::string_view text) { return estimate_tokens_for_length(util::utf8_length(text)); }

int estimate_tokens_for_length(size_t code_points) { return static_cast<int>((code_points + 2) / 3); }

} // namespace article
