#include "article/encoding.hpp"

#include "util/error.hpp"
#include "util/regex.hpp"
#include "util/text.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>
#include <iconv.h>

#include <cerrno>
#include <memory>

namespace article {

namespace {

struct IconvCloser {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};
using UniqueIconv = std::unique_ptr<void, IconvCloser>;

UniqueIconv open_iconv(const std::string& from) {
  iconv_t cd = iconv_open("UTF-8", from.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) return UniqueIconv(nullptr);
  return UniqueIconv(cd);
}

bool is_utf8_name(std::string_view charset) {
  return charset == "utf-8" || charset == "utf8";
}

} // namespace

bool convert_to_utf8(std::string_view bytes, const std::string& charset, std::string& out) {
  UniqueIconv cd = open_iconv(charset);
  if (!cd) return false;
  out.clear();
  char* in = const_cast<char*>(bytes.data()); // iconv's signature; it does not write input
  size_t in_left = bytes.size();
  std::string buffer(4096, '\0');
  while (in_left > 0) {
    char* dst = buffer.data();
    size_t dst_left = buffer.size();
    const size_t rc = iconv(static_cast<iconv_t>(cd.get()), &in, &in_left, &dst, &dst_left);
    out.append(buffer.data(), buffer.size() - dst_left);
    if (rc == static_cast<size_t>(-1) && errno != E2BIG) return false; // EILSEQ, EINVAL
  }
  return true;
}

std::string html_declared_charset(std::string_view html) {
  static const util::Regex meta(R"((?i)<meta[^>]*charset\s*=\s*["']?\s*\K[A-Za-z0-9._:-]+)",
                                "HTML charset declaration");
  const std::string_view head = html.substr(0, 2048);
  util::Match m;
  return meta.search(head, &m) ? util::to_lower_ascii(head.substr(m.begin, m.end - m.begin)) : std::string();
}

Decoded decode_to_utf8(const std::filesystem::path& path, std::string bytes, std::string_view declared) {
  auto convert_or_throw = [&](std::string_view body, const std::string& charset, const char* why) {
    Decoded d{{}, charset, {}};
    if (!convert_to_utf8(body, charset, d.text)) {
      throw util::Error(fmt::format("{}: not valid {} ({}); re-save the file as UTF-8",
                                    path.string(), charset, why));
    }
    return d;
  };
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    return {bytes.substr(3), "UTF-8", {}};
  }
  if (bytes.starts_with("\xFF\xFE")) return convert_or_throw(std::string_view(bytes).substr(2), "UTF-16LE", "byte-order mark");
  if (bytes.starts_with("\xFE\xFF")) return convert_or_throw(std::string_view(bytes).substr(2), "UTF-16BE", "byte-order mark");
  const std::string charset = util::to_lower_ascii(declared);
  if (!charset.empty() && !is_utf8_name(charset)) {
    if (open_iconv(charset)) return convert_or_throw(bytes, charset, "declared in the file");
  }
  if (!util::find_invalid_utf8(bytes)) {
    return {std::move(bytes), "UTF-8", {}};
  }
  Decoded d{{}, "windows-1252", {}};
  if (!convert_to_utf8(bytes, "WINDOWS-1252", d.text)) {
    // The five bytes Windows-1252 leaves undefined are C1 controls in Latin-1.
    d.charset = "ISO-8859-1";
    convert_to_utf8(bytes, "ISO-8859-1", d.text);
  }
  const size_t offset = *util::find_invalid_utf8(bytes);
  d.warning = fmt::format("{}: not UTF-8 (invalid byte at offset {}); read as {}. Save it as UTF-8 "
                          "or declare its charset to be sure",
                          path.string(), offset, d.charset);
  return d;
}

} // namespace article
