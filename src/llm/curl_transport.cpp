// One CURLM handle, many easy handles, driven by libcurl's socket interface
// over epoll: each wake-up handles only the sockets that are ready, where
// curl_multi_perform would visit every transfer (hundreds at a high in-flight
// limit). Connections are pooled by the multi handle and reused across
// requests; HTTP/2 multiplexing is enabled where the server offers it.
// Response bodies are buffered in memory per transfer.
#include "llm/transport.hpp"

#include "util/curl.hpp"
#include "util/fd.hpp"
#include "util/text.hpp"

#include <sys/epoll.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

namespace llm {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// Where libcurl is in data it sends from the request (a form part, or a
// body read from a DataSource): read from the request's own string or from
// the source as it goes, never copied into libcurl (a batch file may be
// 200 MB).
struct PartReader {
  const std::string* data = nullptr;
  const DataSource* source = nullptr; // instead of data
  uint64_t offset = 0;
  std::string* error = nullptr;       // where a failing source's reason goes

  uint64_t size() const { return source ? source->size : data->size(); }
};

struct Transfer {
  uint64_t tag = 0;
  HttpRequest request;
  HttpResponse response;
  std::vector<PartReader> form_readers; // one per part of request.form
  PartReader body_reader;             // request.body_source
  util::CurlMime form;                // outlives the easy handle that sends it
  util::CurlEasy easy;
  util::CurlSlist headers;
  std::array<char, CURL_ERROR_SIZE> error{};
  SteadyTime last_activity = std::chrono::steady_clock::now(); // last byte received
  bool stream_complete = false;       // a streamed answer's last event arrived
  bool got_byte = false;              // since when stalls, not the first-byte wait, apply
  uint64_t sunk = 0;                  // bytes of this response's body handed to request.body_sink
  std::string callback_error;         // why a source or the sink failed (a disk): the transfer's error
  std::vector<Completion>* news = nullptr; // where request.report_begun's news goes
  bool begun_reported = false;
};

size_t read_part(char* buffer, size_t size, size_t count, void* arg) {
  auto* r = static_cast<PartReader*>(arg);
  const size_t wanted = static_cast<size_t>(std::min<uint64_t>(size * count, r->size() - r->offset));
  if (wanted == 0) return 0;
  size_t n = wanted;
  if (r->source) {
    try { // never through libcurl: the transfer fails with the source's reason, never sends short
      n = r->source->read(r->offset, buffer, wanted);
    } catch (const std::exception& e) {
      if (r->error) *r->error = e.what();
      return CURL_READFUNC_ABORT;
    }
    if (n == 0) {
      if (r->error) *r->error = "the data to send ended early";
      return CURL_READFUNC_ABORT;
    }
  } else {
    std::memcpy(buffer, r->data->data() + r->offset, n);
  }
  r->offset += n;
  return n;
}

int seek_part(void* arg, curl_off_t offset, int origin) { // a rewind, to send the data again
  auto* r = static_cast<PartReader*>(arg);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > r->size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  r->offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// libcurl sets the Content-Type with its boundary and streams the parts,
// each read from `parts` through its reader.
util::CurlMime multipart(CURL* easy, const std::vector<FormPart>& parts, std::vector<PartReader>& readers,
                         std::string& error) {
  util::CurlMime mime(curl_mime_init(easy));
  if (!mime) throw std::runtime_error("curl_mime_init failed");
  readers.assign(parts.size(), {});
  for (size_t i = 0; i < parts.size(); ++i) {
    const FormPart& p = parts[i];
    readers[i] = p.source ? PartReader{nullptr, &p.source, 0, &error} : PartReader{&p.data, nullptr, 0, nullptr};
    curl_mimepart* part = curl_mime_addpart(mime.get()); // owned by mime
    curl_mime_name(part, p.name.c_str());
    curl_mime_data_cb(part, static_cast<curl_off_t>(readers[i].size()), read_part, seek_part, nullptr, &readers[i]);
    if (!p.filename.empty()) curl_mime_filename(part, p.filename.c_str());
    if (!p.content_type.empty()) curl_mime_type(part, p.content_type.c_str());
  }
  return mime;
}

bool answered_ok(CURL* easy) {
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  return status >= 200 && status < 300;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->last_activity = std::chrono::steady_clock::now();
  t->got_byte = true;
  if (t->request.body_sink && answered_ok(t->easy.get())) {
    try {
      t->request.body_sink(t->sunk, {data, size * count});
    } catch (const std::exception& e) { // never through libcurl: the transfer fails with its message
      t->callback_error = e.what();
      return 0;
    }
    t->sunk += size * count;
    return size * count;
  }
  t->response.body.append(data, size * count);
  if (t->request.stream_complete && t->request.stream_complete({data, size * count})) {
    t->stream_complete = true;
    return 0; // ends the transfer now; collect() reports it as complete
  }
  return size * count;
}

// The headers of a final answer are in: a 2xx one is news for a request
// that asked (a 100 Continue's blank line comes with status 100).
void report_if_begun(Transfer& t) {
  long status = 0;
  curl_easy_getinfo(t.easy.get(), CURLINFO_RESPONSE_CODE, &status);
  if (!t.request.report_begun || t.begun_reported || status < 200 || status >= 300) return;
  t.begun_reported = true;
  HttpResponse so_far;
  so_far.status = status;
  so_far.headers = t.response.headers;
  t.news->push_back({t.tag, std::move(so_far), true});
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->last_activity = std::chrono::steady_clock::now();
  t->got_byte = true;
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    t->response.headers.clear(); // a new response (after 100 Continue or a redirect)
    t->sunk = 0;
    return size * count;
  }
  if (line == "\r\n" || line == "\n") {
    report_if_begun(*t);
    return size * count;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response.headers[util::to_lower_ascii(util::trim(line.substr(0, colon)))] =
      std::string(util::trim(line.substr(colon + 1)));
  }
  return size * count;
}

class CurlTransport final : public Transport {
public:
  explicit CurlTransport(const TransportOptions& options)
    : m_options(options), m_epoll(epoll_create1(EPOLL_CLOEXEC)), m_multi(curl_multi_init()) {
    if (!m_multi || !m_epoll) {
      throw std::runtime_error("curl_multi_init or epoll_create1 failed");
    }
    curl_multi_setopt(m_multi.get(), CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(m_multi.get(), CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m_multi.get(), CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(m_multi.get(), CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(m_multi.get(), CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(m_multi.get(), CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_connections));
  }

  ~CurlTransport() override {
    for (auto& [easy, transfer] : m_transfers) {
      curl_multi_remove_handle(m_multi.get(), easy); // before the easy handle dies
    }
  }

  void start(uint64_t tag, HttpRequest request) override {
    auto t = std::make_unique<Transfer>();
    t->tag = tag;
    t->request = std::move(request);
    t->news = &m_news;
    t->easy = take_handle();
    for (const auto& h : t->request.headers) {
      util::slist_append(t->headers, h.c_str());
    }
    configure(*t);
    CURL* easy = t->easy.get();
    m_transfers.emplace(easy, std::move(t));
    curl_multi_add_handle(m_multi.get(), easy);
    // The new handle's timer is due at once: firing it now puts the request
    // on an open connection before start() returns (a new connection is
    // begun), where the next wait() would first read every ready answer.
    fire_timer_if_due();
  }

  std::vector<Completion> wait(std::chrono::milliseconds timeout) override {
    fire_timer_if_due();
    std::vector<Completion> done = collect();
    if (done.empty() && m_news.empty()) {
      poll_sockets(timeout);
      fire_timer_if_due();
      done = collect();
    }
    sweep_stalls(done);
    if (!m_news.empty()) { // news first: a transfer's completion never precedes its news
      done.insert(done.begin(), std::make_move_iterator(m_news.begin()), std::make_move_iterator(m_news.end()));
      m_news.clear();
    }
    return done;
  }

private:
  // libcurl tells which sockets to watch for what; epoll watches them. A
  // socket libcurl hands over anew has no pointer assigned yet (libcurl
  // forgets it on REMOVE, which comes after every transfer on a pooled
  // connection), so it is added; one already watched is modified. One
  // epoll_ctl per change, where trying MOD first cost a failing call per
  // request.
  static int on_socket(CURL*, curl_socket_t fd, int what, void* self_ptr, void* watched) {
    auto* self = static_cast<CurlTransport*>(self_ptr);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(self->m_epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
      return 0;
    }
    epoll_event ev{};
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    if (watched) {
      epoll_ctl(self->m_epoll.get(), EPOLL_CTL_MOD, fd, &ev);
      return 0;
    }
    if (epoll_ctl(self->m_epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0 && errno == EEXIST) {
      epoll_ctl(self->m_epoll.get(), EPOLL_CTL_MOD, fd, &ev);
    }
    curl_multi_assign(self->m_multi.get(), fd, self);
    return 0;
  }

  // libcurl's single timer (connect and request timeouts, new transfers).
  static int on_timer(CURLM*, long timeout_ms, void* self_ptr) {
    auto* self = static_cast<CurlTransport*>(self_ptr);
    if (timeout_ms < 0) {
      self->m_timer.reset();
    } else {
      self->m_timer = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  void fire_timer_if_due() {
    if (m_timer && *m_timer <= std::chrono::steady_clock::now()) {
      m_timer.reset();
      int running = 0;
      curl_multi_socket_action(m_multi.get(), CURL_SOCKET_TIMEOUT, 0, &running);
    }
  }

  // Waits up to `timeout` (or libcurl's timer, if sooner) for ready sockets
  // and hands each to libcurl.
  void poll_sockets(std::chrono::milliseconds timeout) {
    auto wait = timeout;
    if (m_timer) {
      const auto until_timer = std::chrono::ceil<std::chrono::milliseconds>(
        *m_timer - std::chrono::steady_clock::now());
      wait = std::clamp(until_timer, std::chrono::milliseconds(0), timeout);
    }
    std::array<epoll_event, 256> events;
    const int n = epoll_wait(m_epoll.get(), events.data(), static_cast<int>(events.size()),
                             static_cast<int>(wait.count()));
    for (int i = 0; i < n; ++i) {
      const uint32_t e = events[static_cast<size_t>(i)].events;
      const int flags = ((e & EPOLLIN) ? CURL_CSELECT_IN : 0) | ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                        ((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
      int running = 0;
      curl_multi_socket_action(m_multi.get(), events[static_cast<size_t>(i)].data.fd, flags, &running);
    }
  }

  void configure(Transfer& t) {
    CURL* e = t.easy.get();
    curl_easy_setopt(e, CURLOPT_URL, t.request.url.c_str());
    if (t.request.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (!t.request.form.empty()) {
      t.form = multipart(e, t.request.form, t.form_readers, t.callback_error);
      curl_easy_setopt(e, CURLOPT_MIMEPOST, t.form.get());
    } else if (t.request.body_source) {
      t.body_reader = {nullptr, &t.request.body_source, 0, &t.callback_error};
      curl_easy_setopt(e, CURLOPT_POST, 1L);
      curl_easy_setopt(e, CURLOPT_READFUNCTION, read_part);
      curl_easy_setopt(e, CURLOPT_READDATA, &t.body_reader);
      curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_part);
      curl_easy_setopt(e, CURLOPT_SEEKDATA, &t.body_reader);
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.request.body_source.size));
    } else {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.request.body.c_str());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.request.body.size()));
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error.data());
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); // every encoding libcurl can decode
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    const TransferLimits& limits = t.request.limits;
    if (!limits.ca_file.empty()) { // a private CA (company proxy, local TLS server)
      curl_easy_setopt(e, CURLOPT_CAINFO, limits.ca_file.c_str());
    }
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, to_ms(limits.connect_timeout_s));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, to_ms(limits.request_timeout_s));
    // Stalls are found by sweep_stalls(), not here: slow local models are
    // legitimate, silence is not, and the whole-request timeout stays long.
  }

  // A finished transfer's easy handle serves the next request: libcurl keeps
  // a handle's buffers across curl_easy_reset, where a new handle allocates
  // and a cleanup frees them again (a few dozen allocations per request).
  util::CurlEasy take_handle() {
    if (m_idle.empty()) {
      util::CurlEasy easy(curl_easy_init());
      if (!easy) throw std::runtime_error("curl_easy_init failed");
      return easy;
    }
    util::CurlEasy easy = std::move(m_idle.back());
    m_idle.pop_back();
    return easy;
  }

  // After curl_multi_remove_handle. The reset drops the handle's pointers
  // into the transfer (headers, form, error buffer) before the transfer dies,
  // and every option of its request: configure() sets only what a request
  // needs, and one endpoint's ca_file must not reach the next.
  void retire(Transfer& t) {
    curl_easy_reset(t.easy.get());
    m_idle.push_back(std::move(t.easy));
  }

  static long to_ms(double seconds) { return static_cast<long>(seconds * 1000); }

  // What the run report says about connections: how many were opened and
  // which HTTP version each answer came over (multiplexing shows as few
  // connections carrying many HTTP/2 answers).
  static void record_connection(CURL* easy, HttpResponse& r) {
    long version = 0;
    long connects = 0;
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
    r.http_version = version == CURL_HTTP_VERSION_1_0   ? 10
                     : version == CURL_HTTP_VERSION_1_1 ? 11
                     : version == CURL_HTTP_VERSION_2_0 ? 2
                     : version == CURL_HTTP_VERSION_3   ? 3
                                                        : 0;
    r.new_connection = connects > 0;
  }

  // Aborts transfers that received no byte for stall_timeout_s (or, before
  // their first byte, first_byte_timeout_s: a cold model load). libcurl's
  // LOW_SPEED check averages over a window that includes the request upload
  // and misses short stalls; its progress callback costs CPU on every
  // transfer at every perform. A sweep a few times a second costs neither.
  void sweep_stalls(std::vector<Completion>& done) {
    const auto now = std::chrono::steady_clock::now();
    if (now - m_last_sweep < std::chrono::milliseconds(200)) {
      return;
    }
    m_last_sweep = now;
    for (auto it = m_transfers.begin(); it != m_transfers.end();) {
      Transfer& t = *it->second;
      const TransferLimits& limits = t.request.limits;
      const double seconds = t.got_byte ? limits.stall_timeout_s : limits.first_byte_timeout_s;
      if (now - t.last_activity <= std::chrono::duration<double>(seconds)) {
        ++it;
        continue;
      }
      curl_multi_remove_handle(m_multi.get(), it->first);
      t.response.curl_code = CURLE_OPERATION_TIMEDOUT;
      t.response.curl_error =
        t.got_byte ? fmt::format("stalled: no data for {:g} s (endpoint.stall_timeout_s)", seconds)
                   : fmt::format("no answer within {:g} s (endpoint.first_byte_timeout_s)", seconds);
      retire(t);
      done.push_back({t.tag, std::move(t.response)});
      it = m_transfers.erase(it);
    }
  }

  std::vector<Completion> collect() {
    std::vector<Completion> done;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(m_multi.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) {
        continue;
      }
      CURL* easy = msg->easy_handle;
      auto it = m_transfers.find(easy);
      if (it == m_transfers.end()) {
        continue; // already given up on by sweep_stalls()
      }
      Transfer& t = *it->second;
      t.response.curl_code = t.stream_complete ? CURLE_OK : msg->data.result;
      if (t.response.curl_code != CURLE_OK) {
        t.response.curl_error = !t.callback_error.empty() ? t.callback_error
                                : t.error[0]           ? t.error.data()
                                                       : curl_easy_strerror(msg->data.result);
      }
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t.response.status);
      record_connection(easy, t.response);
      curl_multi_remove_handle(m_multi.get(), easy);
      retire(t);
      done.push_back({t.tag, std::move(t.response)});
      m_transfers.erase(it);
    }
    return done;
  }

  TransportOptions m_options;
  util::UniqueFd m_epoll;             // declared before m_multi: libcurl's cleanup still calls on_socket
  util::CurlMulti m_multi;
  std::optional<SteadyTime> m_timer;  // when libcurl wants CURL_SOCKET_TIMEOUT
  std::map<CURL*, std::unique_ptr<Transfer>> m_transfers;
  std::vector<util::CurlEasy> m_idle; // declared after m_multi: cleaned up before it
  std::vector<Completion> m_news;     // answers begun since the last wait() (report_begun)
  SteadyTime m_last_sweep = std::chrono::steady_clock::now();
};

} // namespace

std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

HttpResponse fetch_once(HttpRequest request) {
  CurlTransport transport({1});
  transport.start(0, std::move(request));
  for (;;) {
    for (auto& done : transport.wait(std::chrono::milliseconds(100))) {
      if (!done.begun) return std::move(done.response);
    }
  }
}

} // namespace llm
