// Turns an input file's bytes into UTF-8: a byte-order mark (UTF-8, UTF-16)
// or a declared charset (HTML <meta charset>) decides; otherwise valid UTF-8
// is taken as is and anything else is read as Windows-1252 (a superset of
// Latin-1), with a warning naming the file, since that is a guess.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace article {

struct Decoded {
  std::string text;                   // UTF-8, without a byte-order mark
  std::string charset;                // what it was read as, e.g. "UTF-8", "windows-1252"
  std::string warning;                // non-empty when the charset was guessed
};

// `declared`: a charset the file names itself (HTML meta), or empty. Throws
// util::Error naming the file when a declared or BOM charset cannot decode it.
Decoded decode_to_utf8(const std::filesystem::path& path, std::string bytes,
                       std::string_view declared = {});

// The charset an HTML document declares in its first 2,048 bytes
// (<meta charset="..."> or http-equiv Content-Type), lowercased; empty if none.
std::string html_declared_charset(std::string_view html);

// Converts `bytes` from `charset` (an iconv name) to UTF-8 into `out`; false
// when iconv does not know the charset or the bytes are not valid in it.
bool convert_to_utf8(std::string_view bytes, const std::string& charset, std::string& out);

} // namespace article
