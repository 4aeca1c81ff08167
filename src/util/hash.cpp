#include "util/hash.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

namespace util {

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
  if (!m_ctx || EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(m_ctx);
    throw std::runtime_error("SHA-256 initialisation failed");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(m_ctx); }

Sha256& Sha256::update(std::string_view data) {
  EVP_DigestUpdate(m_ctx, data.data(), data.size());
  return *this;
}

std::string Sha256::hex_digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(m_ctx, digest.data(), &size);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += k_hex[digest[i] >> 4];
    out += k_hex[digest[i] & 0xf];
  }
  return out;
}

std::string sha256_hex(std::string_view data) { return Sha256().update(data).hex_digest(); }

} // namespace util
