// SHA-256 over a sequence of updates (OpenSSL EVP), returned as lowercase hex.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace util {

class Sha256 {
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(std::string_view data);
  std::string hex_digest();

private:
  evp_md_ctx_st* m_ctx;
};

std::string sha256_hex(std::string_view data);

} // namespace util
