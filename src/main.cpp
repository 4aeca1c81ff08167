// Entry point: one curl global, one top-level catch for problems the user
// must fix, which print a single complete "lingopipe: error: ..." line.
#include "cli/app.hpp"
#include "util/curl.hpp"
#include "util/error.hpp"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  try {
    util::CurlGlobal curl;
    return cli::main(argc, argv);
  } catch (const util::Error& e) {
    std::fprintf(stderr, "lingopipe: error: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lingopipe: error: internal: %s\n", e.what());
    return static_cast<int>(util::ExitCode::some_failed);
  }
}
