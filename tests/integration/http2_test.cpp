// HTTP/2 multiplexing, checked against a real h2 server: nghttpx (Debian's
// nghttp2-proxy) terminates TLS with ALPN h2 in front of the stand-in server.
// Also checks endpoint.ca_file, which the test's self-signed certificate needs.
#include "support/test_env.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

using namespace testenv;
using nlohmann::json;

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// A free port below the kernel's ephemeral range (32768+), where the other
// tests' servers (bound to port 0) never land while nghttpx starts.
int free_loopback_port() {
  static std::mt19937 rng(std::random_device{}());
  for (;;) {
    const int port = std::uniform_int_distribution<int>(20000, 32000)(rng);
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in addr = loopback(port);
    const bool ok = bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (ok) return port;
  }
}

bool accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const sockaddr_in addr = loopback(port);
  const bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// nghttpx with a fresh self-signed certificate for 127.0.0.1, stopped on
// destruction.
class H2Proxy {
public:
  H2Proxy(const fs::path& dir, const std::string& backend_url) {
    auto cert = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                     "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                     "-keyout", "key.pem", "-out", "cert.pem"},
                    dir);
    if (cert.exit_code != 0) throw std::runtime_error("openssl: " + cert.err);
    const std::string backend_port = backend_url.substr(backend_url.rfind(':') + 1,
                                                        backend_url.rfind('/') - backend_url.rfind(':') - 1);
    // The free port can be taken by a parallel test before nghttpx binds it;
    // nghttpx then exits, and another port is tried.
    for (int attempt = 0; attempt < 5 && m_pid < 0; ++attempt) {
      m_port = free_loopback_port();
      // --conf=/dev/null: Debian's /etc/nghttpx/nghttpx.conf logs to syslog,
      // and with it a second nghttpx started beside a first one exits at once.
      const pid_t pid = spawn({nghttpx(), "--conf=/dev/null", "--frontend=127.0.0.1," + std::to_string(m_port),
                               "--backend=127.0.0.1," + backend_port + ";;proto=http/1.1",
                               "--workers=1", "--no-ocsp", "--log-level=WARN",
                               "--errorlog-file=" + (dir / "nghttpx.log").string(),
                               (dir / "key.pem").string(), (dir / "cert.pem").string()},
                              dir);
      if (listening(pid)) m_pid = pid;
    }
    if (m_pid < 0) throw std::runtime_error("nghttpx did not start: " + read(dir / "nghttpx.log"));
  }
  ~H2Proxy() {
    kill(m_pid, SIGTERM);
    waitpid(m_pid, nullptr, 0);
  }
  H2Proxy(const H2Proxy&) = delete;
  H2Proxy& operator=(const H2Proxy&) = delete;

  std::string base_url() const { return "https://127.0.0.1:" + std::to_string(m_port) + "/v1"; }

private:
  static std::string nghttpx() {
    return fs::exists("/usr/sbin/nghttpx") ? "/usr/sbin/nghttpx" : "nghttpx";
  }

  // True once `pid` accepts on m_port; false (and reaped) when it exits first.
  bool listening(pid_t pid) const {
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid, nullptr, WNOHANG) == pid) return false;
      if (accepts(m_port)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return waitpid(pid, nullptr, WNOHANG) != pid; // the port is ours, not a neighbour's
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return false;
  }

  pid_t m_pid = -1;
  int m_port = 0;
};

class Http2Test : public ::testing::Test {
protected:
  void SetUp() override { copy_project(dir.path()); }
  TempDir dir;
};

TEST_F(Http2Test, ManyRequestsShareOneMultiplexedConnection) {
  StandIn standin(dir.path());
  H2Proxy proxy(dir.path(), standin.base_url());
  set_config(dir.path(), "stall_timeout_s: 120", "stall_timeout_s: 120\n  ca_file: cert.pem");
  auto r = lingopipe(dir.path(), standin, {"run"}, {{"LINGOPIPE_BASE_URL", proxy.base_url()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(standin.requests(), 24);
  const json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_EQ(report["connections"]["responses_by_protocol"], json({{"HTTP/2", 24}}));
  EXPECT_EQ(report["connections"]["opened"], 1) << "all streams on the probe's connection";
}

TEST_F(Http2Test, OverHttp11EachConcurrentRequestNeedsItsOwnConnection) {
  // The control for the test above: the same run straight to the stand-in.
  StandIn standin(dir.path());
  auto r = lingopipe(dir.path(), standin, {"run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_EQ(report["connections"]["responses_by_protocol"], json({{"HTTP/1.1", 24}}));
  EXPECT_GT(report["connections"]["opened"].get<int>(), 1);
}

TEST_F(Http2Test, AnUntrustedCertificateIsAClearError) {
  StandIn standin(dir.path());
  H2Proxy proxy(dir.path(), standin.base_url());
  auto r = lingopipe(dir.path(), standin, {"run"}, {{"LINGOPIPE_BASE_URL", proxy.base_url()}});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(standin.requests(), 0);
  EXPECT_NE(r.err.find("SSL certificate problem: self-signed certificate; the server's TLS "
                       "certificate is not trusted: set endpoint.ca_file to its CA bundle (PEM) or "
                       "check endpoint.base_url"),
            std::string::npos)
    << r.err;
  const json report = json::parse(read(dir / "out/run-report.json"));
  EXPECT_EQ(report["requests"], 1) << "a certificate problem is not retried";
}

TEST_F(Http2Test, AMissingCaFileIsAConfigError) {
  StandIn standin(dir.path());
  set_config(dir.path(), "stall_timeout_s: 120", "stall_timeout_s: 120\n  ca_file: nowhere.pem");
  auto r = lingopipe(dir.path(), standin, {"run"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("config.yaml: endpoint.ca_file: nowhere.pem does not exist; name a PEM file of CA certificates or remove the key to "
                       "trust the system's"),
            std::string::npos)
    << r.err;
}

} // namespace
