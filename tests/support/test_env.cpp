#include "support/test_env.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace testenv {

fs::path source_dir() { return LINGOPIPE_SOURCE_DIR; }

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TempDir::TempDir() {
  std::random_device rd;
  m_path = fs::temp_directory_path() / ("lingopipe-test-" + std::to_string(rd()));
  fs::create_directories(m_path);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

namespace {

std::vector<std::string> environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    std::string name = entry.substr(0, entry.find('='));
    if (!extra.contains(name) && !name.starts_with("LINGOPIPE_")) env.push_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

pid_t spawn_with_files(const std::vector<std::string>& argv, const fs::path& cwd,
                       const std::map<std::string, std::string>& env, const fs::path& out,
                       const fs::path& err) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto env_strings = environment(env);
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  // SIGINT and SIGTERM as by default, even when this test runs with them
  // ignored (started in the background by a script): the tests send them.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  // posix_spawnp: a bare name such as "python3" or "chromium" is found on PATH.
  int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, &attributes, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) throw std::runtime_error("cannot spawn " + argv[0]);
  return pid;
}

} // namespace

ProcessResult run(const std::vector<std::string>& argv, const fs::path& cwd,
                  const std::map<std::string, std::string>& env) {
  const fs::path out = cwd / ".proc.out", err = cwd / ".proc.err";
  pid_t pid = spawn_with_files(argv, cwd, env, out, err);
  int status = 0;
  waitpid(pid, &status, 0);
  ProcessResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read(out);
  r.err = read(err);
  return r;
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& cwd,
            const std::map<std::string, std::string>& env) {
  return spawn_with_files(argv, cwd, env, cwd / ".bg.out", cwd / ".bg.err");
}

StandIn::StandIn(const fs::path& dir, const std::string& faults_json, int latency_ms,
                 const std::vector<std::string>& extra_args)
  : m_dir(dir / "standin") {
  fs::create_directories(m_dir);
  std::vector<std::string> argv = {LINGOPIPE_STANDIN_BINARY, "--port-file",
                                   (m_dir / "port").string(), "--log",
                                   (m_dir / "requests.jsonl").string(), "--latency-ms",
                                   std::to_string(latency_ms)};
  if (!faults_json.empty()) {
    write(m_dir / "faults.json", faults_json);
    argv.insert(argv.end(), {"--faults", (m_dir / "faults.json").string()});
  }
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  m_pid = spawn_with_files(argv, m_dir, {}, m_dir / "out", m_dir / "err");
  for (int i = 0; i < 500 && !fs::exists(m_dir / "port"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  m_port = std::stoi(read(m_dir / "port"));
}

StandIn::~StandIn() { stop(); }

void StandIn::stop() {
  if (m_pid < 0) return;
  kill(m_pid, SIGKILL);
  waitpid(m_pid, nullptr, 0);
  m_pid = -1;
}

std::string StandIn::base_url() const {
  return "http://127.0.0.1:" + std::to_string(m_port) + "/v1";
}

// Complete lines only: a test that polls the log while the stand-in writes
// a long entry (a batch's lines) could otherwise read half of it.
std::vector<std::string> StandIn::log_lines() const {
  std::vector<std::string> lines;
  const std::string text = read(m_dir / "requests.jsonl");
  for (size_t pos = 0, nl; (nl = text.find('\n', pos)) != std::string::npos; pos = nl + 1) {
    if (nl > pos) lines.push_back(text.substr(pos, nl - pos));
  }
  return lines;
}

int StandIn::requests() const { return static_cast<int>(log_lines().size()); }

std::string without_generated_line(const std::string& text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string::npos ? text.size() : nl + 1;
    const std::string_view line(text.data() + pos, end - pos);
    if (line.find("enerated") == std::string_view::npos) out += line;
    pos = end;
  }
  return out;
}

void copy_project(const fs::path& dir) {
  const fs::path src = source_dir();
  fs::copy_file(src / "config.yaml", dir / "config.yaml");
  fs::copy(src / "prompts", dir / "prompts", fs::copy_options::recursive);
  fs::copy(src / "articles", dir / "articles", fs::copy_options::recursive);
  // The stand-in echoes the source, so every translation fails the language
  // check; tests that count requests would count repairs. Those that test
  // repairs turn it back on.
  set_config(dir, "repair: true", "repair: false");
}

void set_config(const fs::path& dir, const std::string& from, const std::string& to) {
  std::string config = read(dir / "config.yaml");
  const size_t at = config.find(from);
  if (at == std::string::npos) {
    throw std::runtime_error("config.yaml has no '" + from + "'");
  }
  config.replace(at, from.size(), to);
  write(dir / "config.yaml", config);
}

ProcessResult lingopipe(const fs::path& dir, const StandIn& standin,
                        const std::vector<std::string>& args,
                        std::map<std::string, std::string> env) {
  std::vector<std::string> argv = {LINGOPIPE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  env.emplace("LINGOPIPE_BASE_URL", standin.base_url());
  env.emplace("LINGOPIPE_MODEL", "lingopipe-standin");
  return run(argv, dir, env);
}

} // namespace testenv
