// A plain HTTP exchange, as the transport sees it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace llm {

// Per-request transfer settings: each endpoint has its own.
struct TransferLimits {
  double connect_timeout_s = 10;
  double request_timeout_s = 600;     // the whole exchange; slow local models are legitimate
  double stall_timeout_s = 120;       // no byte for this long, once bytes flow, aborts it
  double first_byte_timeout_s = 120;  // no byte at all for this long (a cold model load) aborts it
  std::string ca_file;                // PEM bundle to trust instead of the system's; empty: system
};

// Data read as it is sent instead of held in the request (a batch file kept
// on disk): its size, and a reader that fills up to `max` bytes of `buffer`
// from `offset` and returns how many it filled (0: it cannot).
struct DataSource {
  uint64_t size = 0;
  std::function<size_t(uint64_t offset, char* buffer, size_t max)> read;

  explicit operator bool() const { return static_cast<bool>(read); }
};

// One field of a multipart/form-data body (a file upload when `filename` is set).
struct FormPart {
  std::string name;
  std::string data;
  std::string filename;
  std::string content_type;
  DataSource source;                  // when set, the data is read from it instead
};

struct HttpRequest {
  std::string method = "POST";        // or "GET" (no body)
  std::string url;
  std::vector<std::string> headers;   // "Name: value"; may hold the API key: never log
  std::string body;
  DataSource body_source;             // when set, the body is read from it instead
  std::vector<FormPart> form;         // when not empty, sent as multipart/form-data instead of body
  // A streamed answer: given each chunk as it arrives, says when the stream
  // is complete, so the transfer ends there (servers may keep it open).
  std::function<bool(std::string_view chunk)> stream_complete;
  // When set, a 2xx answer's body is handed to it piece by piece as it
  // arrives, each with its offset in the body (0: the body starts, again if
  // an earlier attempt failed), instead of kept in HttpResponse::body (a
  // batch's result file may be 200 MB). Any other answer's body is kept, for
  // its error.
  std::function<void(uint64_t offset, std::string_view piece)> body_sink;
  // Say when a 2xx answer begins (Completion::begun), before its body: a
  // streamed answer begins with the model's first words, long before its end.
  bool report_begun = false;
  TransferLimits limits;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers; // names lower-cased; last value wins
  std::string body;
  int curl_code = 0;                  // CURLcode; non-zero means no complete response
  std::string curl_error;
  int http_version = 0;               // 11, 2 or 3 as spoken; 0 when unknown
  bool new_connection = false;        // this transfer opened a connection

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// The URL with any user:password@ removed, for messages.
std::string redact_url(const std::string& url);

} // namespace llm
