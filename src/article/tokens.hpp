// Client-side token estimate. Deliberately conservative (about three
// characters per token, which over-counts English and German) so that a chunk
// sized by it fits the model's real budget.
#pragma once

#include <string_view>

namespace article {

int estimate_tokens(std::string_view text);

} // namespace article
