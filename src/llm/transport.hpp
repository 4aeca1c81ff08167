// The HTTP seam. CurlTransport drives every transfer from one curl multi
// handle; tests substitute a fake that answers from a script.
#pragma once

#include "llm/http.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace llm {

struct Completion {
  uint64_t tag = 0;
  HttpResponse response;
  // News only, for a request that asked for it (HttpRequest::report_begun):
  // its 2xx answer has begun (status and headers in, the body to come). The
  // transfer goes on; its completion follows. `response` holds the status
  // and headers so far.
  bool begun = false;
};

class Transport {
public:
  virtual ~Transport() = default;
  // On an open connection the request is sent before start() returns.
  virtual void start(uint64_t tag, HttpRequest request) = 0;
  // Drives transfers for at most `timeout`; returns those that finished,
  // each after any news that its answer began.
  virtual std::vector<Completion> wait(std::chrono::milliseconds timeout) = 0;
};

struct TransportOptions {
  int max_connections = 16;           // kept open in the pool; timeouts come with each request
};

std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options);

// One request, waited for (lingopipe doctor): the same libcurl settings as a run.
HttpResponse fetch_once(HttpRequest request);

// Monotonic time source; tests use a fake to make backoff instant.
class Clock {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = time_point::duration;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
};

class SteadyClock : public Clock {
public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
};

} // namespace llm
