#include "util/spill_list.hpp"
#include "support/test_env.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Entry {
  int n = 0;
  std::string text;
  bool operator==(const Entry&) const = default;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Entry, n, text)

// Items of every size, some with newlines (one line each all the same), some
// larger than the block the walk reads, many straddling a block boundary.
std::vector<Entry> varied_entries() {
  std::vector<Entry> entries;
  for (int i = 0; i < 3000; ++i) {
    entries.push_back({i, std::string(static_cast<size_t>(i % 97), 'a' + static_cast<char>(i % 26)) + "\nZeile\n"});
  }
  entries.push_back({3000, std::string(200000, 'x')});
  entries.push_back({3001, "Ümlaut, \"Anführung\" und \\ Rückstrich"});
  entries.push_back({3002, ""});
  return entries;
}

TEST(SpillListTest, ItemsComeBackInTheOrderTheyWereAddedAndLeaveNoFileBehind) {
  testenv::TempDir dir;
  util::SpillList<Entry> list(dir.path());
  const std::vector<Entry> entries = varied_entries();
  for (const Entry& e : entries) list.push_back(e);
  EXPECT_EQ(list.size(), entries.size());
  EXPECT_EQ(list.items(), entries);
  std::vector<int> walked;
  list.for_each([&walked](const Entry& e) { walked.push_back(e.n); });
  ASSERT_EQ(walked.size(), entries.size());
  EXPECT_EQ(walked.front(), 0);
  EXPECT_EQ(walked.back(), 3002);
  EXPECT_TRUE(fs::is_empty(dir.path())); // unlinked as it was made
}

TEST(SpillListTest, LinesMadeAheadAreAppendedAsTheirItems) {
  testenv::TempDir dir;
  util::SpillList<Entry> list(dir.path());
  list.push_back({1, "eins"});
  list.append_lines(util::SpillList<Entry>::line({2, "zwei"}) + util::SpillList<Entry>::line({3, "drei"}), 2);
  list.append_lines("", 0);
  EXPECT_EQ(list.size(), 3u);
  EXPECT_EQ(list.items(), (std::vector<Entry>{{1, "eins"}, {2, "zwei"}, {3, "drei"}}));
}

TEST(SpillListTest, AMovedListKeepsItsItems) {
  testenv::TempDir dir;
  util::SpillList<Entry> list(dir.path());
  list.push_back({1, "eins"});
  util::SpillList<Entry> moved = std::move(list);
  moved.push_back({2, "zwei"});
  EXPECT_EQ(moved.items(), (std::vector<Entry>{{1, "eins"}, {2, "zwei"}}));
}

// An empty list makes no file, so a folder that cannot hold one is an error
// only when the first item comes, and it is named.
TEST(SpillListTest, AnEmptyListNeedsNoFileAndAFolderThatCannotHoldOneIsNamed) {
  testenv::TempDir dir;
  util::SpillList<Entry> list(dir / "missing");
  EXPECT_TRUE(list.empty());
  EXPECT_TRUE(list.items().empty());
  try {
    list.push_back({1, "eins"});
    FAIL() << "expected util::Error";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir / "missing").string() + ": cannot create a temporary file: No such file or directory");
  }
}

} // namespace
