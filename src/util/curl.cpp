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
