// Test support: a temp directory per test, running the built binaries, and a
// stand-in server on a loopback port with its request log.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

namespace testenv {

namespace fs = std::filesystem;

fs::path source_dir();
std::string read(const fs::path& path);
void write(const fs::path& path, const std::string& text);
// `text` without its lines that say when it was generated.
std::string without_generated_line(const std::string& text);

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return m_path; }
  fs::path operator/(const std::string& name) const { return m_path / name; }

private:
  fs::path m_path;
};

struct ProcessResult {
  int exit_code = -1;                 // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] with `env` added to the environment, in `cwd`; waits.
ProcessResult run(const std::vector<std::string>& argv, const fs::path& cwd,
                  const std::map<std::string, std::string>& env = {});

// Starts a process in the background; output goes to files in `cwd`.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& cwd,
            const std::map<std::string, std::string>& env = {});

// The stand-in server on a free loopback port, stopped on destruction.
class StandIn {
public:
  explicit StandIn(const fs::path& dir, const std::string& faults_json = "",
                   int latency_ms = 0, const std::vector<std::string>& extra_args = {});
  ~StandIn();
  StandIn(const StandIn&) = delete;
  StandIn& operator=(const StandIn&) = delete;

  std::string base_url() const;
  int requests() const;               // chat requests logged so far
  // Kills the server at once (requests in flight die with it); its port then
  // refuses connections.
  void stop();
  std::vector<std::string> log_lines() const;

private:
  fs::path m_dir;
  pid_t m_pid = -1;
  int m_port = 0;
};

// A project copy in `dir`: config.yaml, prompts/, articles/ from the repo.
void copy_project(const fs::path& dir);

// Replaces the first `from` in dir/config.yaml with `to`; fails the test when
// `from` is not there.
void set_config(const fs::path& dir, const std::string& from, const std::string& to);

// Runs the lingopipe binary in `dir` against `standin`.
ProcessResult lingopipe(const fs::path& dir, const StandIn& standin,
                        const std::vector<std::string>& args,
                        std::map<std::string, std::string> env = {});

} // namespace testenv
