// Entry point: one curl global, one top-level catch for problems the user
// must fix, which print a single complete "lingopipe: error: ..." line.
#include "cli/app.hpp"
#include "util/curl.hpp"
#include "util/error.hpp"

#include <malloc.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  // glibc gives each new thread its own heap, and the exporter's and the
  // preparation's threads then left pieces of theirs resident (peak RSS 84 MB
  // against 68-70 MB with two arenas). Since articles are prepared on a thread
  // of their own while the run plans, two arenas made the threads queue for
  // malloc's locks (warm re-run of 3,080 articles 2.3-3.9 s, sys time doubled);
  // four keep the runs steady (2.25-2.4 s) and the memory bounded.
  mallopt(M_ARENA_MAX, 4);
  // glibc hands a heap's free top back to the kernel once it passes 128 KB,
  // so every burst of frees on the worker threads was an madvise and a TLB
  // shootdown across cores, and the next burst's page faults (sys time of
  // a warm re-run of 770 articles 0.24-0.30 s; 0.10-0.15 s with this).
  // Keeping up to 4 MB per heap costs no measurable peak RSS.
  mallopt(M_TRIM_THRESHOLD, 4 << 20);
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
