#include "util/file.hpp"
#include "support/test_env.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

TEST(SpillFileTest, PiecesComeBackInAnyOrderAndLeaveNoFileBehind) {
  testenv::TempDir dir;
  util::SpillFile spill(dir.path());
  const std::string big(100000, 'x');
  const auto a = spill.append("erstens");
  const auto b = spill.append(big);
  const auto c = spill.append("");
  EXPECT_EQ(spill.read(b), big);
  EXPECT_EQ(spill.read(a), "erstens");
  EXPECT_EQ(spill.read(c), "");
  EXPECT_TRUE(fs::is_empty(dir.path())); // unlinked as it was made
}

// What a batch run no longer needs (a collected result file, the line of an
// answered request) gives its disk back; the pieces around it stay readable.
TEST(SpillFileTest, AReleasedPieceGivesItsDiskBackAndTheOthersStay) {
  testenv::TempDir dir;
  util::SpillFile spill(dir.path());
  const auto before = spill.append("erstens");
  const auto big = spill.append(std::string(8 << 20, 'x'));
  const auto after = spill.append("zuletzt");
  const uint64_t full = spill.disk_usage();
  EXPECT_GE(full, uint64_t{8 << 20});
  spill.release(big);
  EXPECT_LT(spill.disk_usage(), full - (7 << 20));
  EXPECT_EQ(spill.read(before), "erstens");
  EXPECT_EQ(spill.read(after), "zuletzt");
}

TEST(SpillFileTest, AFolderThatCannotHoldItIsNamed) {
  testenv::TempDir dir;
  try {
    util::SpillFile spill(dir / "missing");
    FAIL() << "expected util::Error";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir / "missing").string() + ": cannot create a temporary file: No such file or directory");
  }
}

// A run killed while streaming lingopipe.json leaves its temp file; the next
// writer removes it, and leaves alone those of processes still running.
TEST(AtomicFileTest, TempFilesOfProcessesNoLongerRunningAreRemoved) {
  testenv::TempDir dir;
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0); // its pid now names no process
  const fs::path dead = dir / fmt::format("lingopipe.json.tmp.{}", child);
  const fs::path alive = dir / fmt::format("lingopipe.json.tmp.{}", getpid());
  const fs::path other = dir / fmt::format("lingopipe.jsonl.tmp.{}", child);
  for (const auto& p : {dead, alive, other}) testenv::write(p, "{");
  util::remove_stale_temps(dir / "lingopipe.json");
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(alive));
  EXPECT_TRUE(fs::exists(other)); // another file's temp: its own writer's business
}

// Pieces of every size, gathered before they reach the kernel, come out
// whole and in order; flush() puts all written so far into the temp file
// (nothing at the final path until commit); an uncommitted file leaves nothing.
TEST(AtomicFileTest, PiecesOfAnySizeArriveInOrderAndFlushShowsThemInTheTempFile) {
  testenv::TempDir dir;
  const fs::path path = dir / "lingopipe.json";
  const fs::path tmp = dir / fmt::format("lingopipe.json.tmp.{}", getpid());
  std::string expected;
  {
    util::AtomicFile file(path);
    for (size_t size : {10u, 3000u, 70000u, 1u, 65535u, 200u, 131072u, 5u}) {
      const std::string piece(size, static_cast<char>('a' + expected.size() % 26));
      file.write(piece);
      expected += piece;
    }
    file.write("tail");
    expected += "tail";
    file.flush();
    EXPECT_EQ(testenv::read(tmp), expected);
    EXPECT_FALSE(fs::exists(path));
    file.write("!");
    expected += "!";
    file.commit();
  }
  EXPECT_EQ(testenv::read(path), expected);
  EXPECT_FALSE(fs::exists(tmp));
  {
    util::AtomicFile abandoned(dir / "other.json");
    abandoned.write(std::string(100000, 'x'));
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

} // namespace
