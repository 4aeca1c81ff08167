#include "util/file.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

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

} // namespace
