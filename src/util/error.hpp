// The exception for problems the user must fix (bad config, unreadable file,
// unusable endpoint). Its message is complete; main prints it once.
#pragma once

#include <stdexcept>
#include <string>

namespace util {

enum class ExitCode : int {
  ok = 0,
  some_failed = 1,
  usage = 2,
  endpoint_unusable = 3,
};

class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message, ExitCode code = ExitCode::usage)
    : std::runtime_error(message), m_code(code) {}
  ExitCode code() const { return m_code; }

private:
  ExitCode m_code;
};

} // namespace util
