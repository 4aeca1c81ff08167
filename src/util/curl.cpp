#include "util/curl.hpp"

#include <stdexcept>

namespace util {

void slist_append(CurlSlist& list, const char* line) {
  curl_slist* grown = curl_slist_append(list.get(), line);
  if (!grown) {
    throw std::bad_alloc();
  }
  (void)list.release();
  list.reset(grown);
}

CurlGlobal::CurlGlobal() {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    throw std::runtime_error("curl_global_init failed");
  }
}

CurlGlobal::~CurlGlobal() { curl_global_cleanup(); }

} // namespace util

namespace util {

std::string url_part(const std::string& url, CURLUPart part) {
  CurlUrl handle(curl_url());
  char* raw = nullptr;
  if (!handle || curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(handle.get(), part, &raw, 0) != CURLUE_OK) {
    return {};
  }
  const std::unique_ptr<char, decltype(&curl_free)> owned(raw, &curl_free);
  return owned.get();
}

std::string url_host(const std::string& url) {
  const std::string host = url_part(url, CURLUPART_HOST);
  return host.starts_with("www.") ? host.substr(4) : host;
}

} // namespace util
