// RAII owners for libcurl handles. Every CURL*, CURLM*, curl_slist* and curl_mime* is
// owned on the line that creates it.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <string>

namespace util {

struct CurlEasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* h) const { curl_multi_cleanup(h); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct CurlUrlDeleter {
  void operator()(CURLU* h) const { curl_url_cleanup(h); }
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;
using CurlUrl = std::unique_ptr<CURLU, CurlUrlDeleter>;

// Appends to an owned header list; keeps ownership on failure.
void slist_append(CurlSlist& list, const char* line);

struct CurlMimeDeleter {
  void operator()(curl_mime* m) const { curl_mime_free(m); }
};
using CurlMime = std::unique_ptr<curl_mime, CurlMimeDeleter>;

// One part of an absolute URL (CURLUPART_PATH, CURLUPART_PORT, ...), or
// empty when `url` does not parse or lacks that part.
std::string url_part(const std::string& url, CURLUPart part);

// The host of an absolute URL without a leading "www.", or empty when `url`
// does not parse.
std::string url_host(const std::string& url);

// Calls curl_global_init / curl_global_cleanup; main owns exactly one.
class CurlGlobal {
public:
  CurlGlobal();
  ~CurlGlobal();
  CurlGlobal(const CurlGlobal&) = delete;
  CurlGlobal& operator=(const CurlGlobal&) = delete;
};

} // namespace util
