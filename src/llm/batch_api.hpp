// The wire side of the providers' batch APIs (PROTOCOLS.md §7), as pure
// functions the BatchEngine drives:
//   openai     JSONL uploaded to /files (purpose=batch), POST /batches,
//              GET /batches/{id}, GET /files/{id}/content for the output
//              and error files
//   anthropic  POST /v1/messages/batches with the requests inline,
//              GET /v1/messages/batches/{id}, GET its results_url
// Each request line carries a custom_id derived from its body, so a re-run
// that plans the same request recognises it in a batch sent earlier.
#pragma once

#include "llm/chat.hpp"
#include "llm/codec.hpp"
#include "llm/http.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llm {

struct BatchLimits {
  size_t max_requests = 0;
  size_t max_bytes = 0;
};

// The provider's limits per batch (OpenAI 50,000 lines and 200 MB,
// Anthropic 100,000 requests and 256 MB), lowered by configured values > 0.
BatchLimits batch_limits(Provider provider, int max_requests, double max_mb);

// One request of a batch: its custom_id ("lp-" and 40 hex digits of the
// SHA-256 of its body, within both providers' 64-character pattern) and its
// line, built from the live request the codec encodes.
struct BatchLine {
  std::string custom_id;
  std::string line;
};
BatchLine batch_line(const ChatRequest& request, const Endpoint& endpoint);

// A batch's lines where they are kept (the batch engine keeps them on disk):
// the size of each, and a reader of line `line` from `offset` (as
// DataSource::read). The file or body made of them is read as it is sent,
// never held whole.
struct BatchLines {
  std::vector<uint64_t> sizes;
  std::function<size_t(size_t line, uint64_t offset, char* buffer, size_t max)> read;
};
// Lines held in memory (tests, small batches).
BatchLines lines_in_memory(std::vector<std::string> lines);

// Creating a batch of `lines`: for OpenAI the upload (multipart, purpose
// batch) and then, with the uploaded file's id, the batch itself; Anthropic
// takes the requests in the create call.
HttpRequest upload_request(const Endpoint& endpoint, BatchLines lines);
HttpRequest create_request(const Endpoint& endpoint, const std::string& file_id, BatchLines lines);
// The "id" of an uploaded file or a created batch.
std::optional<std::string> created_id(const HttpResponse& response);

HttpRequest status_request(const Endpoint& endpoint, const std::string& batch_id);
HttpRequest download_request(const Endpoint& endpoint, const std::string& url);

enum class BatchPhase {
  running,     // validating, in_progress, finalizing, cancelling / canceling
  ended,       // completed, expired, cancelled, ended: results may be downloaded
  failed,      // OpenAI's failed: the input was rejected, nothing was processed
};

struct LineError {
  size_t line = 0;                    // 1-based line of the input file
  std::string message;
};

struct BatchStatus {
  std::string id;
  std::string status;                 // as the provider said it
  BatchPhase phase = BatchPhase::running;
  int total = 0;
  int finished = 0;                   // succeeded or failed so far (OpenAI; Anthropic at the end)
  std::vector<std::string> result_urls; // output and error files, or results_url
  std::vector<LineError> line_errors; // failed: errors.data[] that name a line
  std::string error;                  // failed: the errors without a line
  std::string input_file_id;          // OpenAI: the uploaded file it runs
  double created_at = 0;              // unix seconds (Anthropic's RFC 3339 read as such)
};
// nullopt when the body is not a batch object.
std::optional<BatchStatus> parse_batch_status(Provider provider, const HttpResponse& response,
                                              const Endpoint& endpoint);

// The batches the key has, newest first, a page of 100 after the batch
// `after` (empty: the first page): how a batch whose creation answer never
// arrived (the run was killed, a gateway failed) is found again.
HttpRequest list_request(const Endpoint& endpoint, const std::string& after);
struct BatchList {
  std::vector<BatchStatus> batches;
  bool has_more = false;
  std::string last_id;                // the cursor for the next page
};
// nullopt when the body is not a list of batches.
std::optional<BatchList> parse_batch_list(Provider provider, const HttpResponse& response,
                                          const Endpoint& endpoint);

// One line of a result file: the answer as the live API would have sent it
// (for the codec to decode and check), or an error with no answer.
struct BatchResult {
  std::string custom_id;
  std::optional<HttpResponse> response;
  std::optional<ChatError> error;
  std::string_view line;              // the line itself, within the text parsed
};
// Every parseable line of a result file, in file order (never request
// order), handed to `each` as it is read, so a file of 50,000 answers is
// never also a vector of them; lines without a custom_id are skipped and
// counted in `skipped`. Each result's `line` points into `jsonl`.
void for_each_batch_result(Provider provider, std::string_view jsonl, size_t& skipped,
                           const std::function<void(const BatchResult&)>& each);
// The same, collected.
std::vector<BatchResult> parse_batch_results(Provider provider, std::string_view jsonl,
                                             size_t& skipped);

} // namespace llm
