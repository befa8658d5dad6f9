#include "runtime/work_queue.h"

#include <numeric>

#include <gtest/gtest.h>

namespace xpulse::runtime {
namespace {

TEST(StaticShare, ContiguousSharesCoverEveryUnitOnce) {
  std::vector<std::size_t> units(10);
  std::iota(units.begin(), units.end(), 100);
  for (int size : {1, 2, 3, 4, 11}) {
    std::vector<std::size_t> all;
    for (int rank = 0; rank < size; ++rank) {
      const auto share = static_share(units, rank, size);
      EXPECT_LE(share.size(), units.size() / static_cast<std::size_t>(size) + 1);
      all.insert(all.end(), share.begin(), share.end());
    }
    EXPECT_EQ(all, units) << size << " ranks";
  }
}

TEST(WorkQueue, OneProcessGetsEveryUnitInOrderAndReportsThemFinished) {
  std::vector<std::size_t> finished;
  WorkQueue queue(World::get(), {4, 1, 9}, [&](std::size_t u) { finished.push_back(u); });
  std::vector<std::size_t> got;
  while (const auto u = queue.next()) {
    got.push_back(*u);
    queue.finished(*u);
  }
  EXPECT_EQ(got, (std::vector<std::size_t>{4, 1, 9}));
  EXPECT_EQ(finished, got);
  EXPECT_FALSE(queue.next());
}

}  // namespace
}  // namespace xpulse::runtime
