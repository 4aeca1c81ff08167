// Client-side token estimate. Deliberately conservative (about three
// characters per token, which over-counts English and German) so that a chunk
// sized by it fits the model's real budget.
#pragma once

#include <cstddef>
#include <string_view>

namespace article {

int estimate_tokens(std::string_view text);
// The same estimate for a text of this many code points.
int estimate_tokens_for_length(size_t code_points);

} // namespace article
