// The frame plan of a European XFEL run (io/euxfel_frame_plan.h) on hand-made indices, and the train-validity
// rules of the format versions.
#include "io/euxfel_frame_plan.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace xpulse::io {
namespace {

EuxfelModuleFile module_file(int module, std::vector<std::uint64_t> trains, std::vector<std::uint64_t> counts,
                             std::vector<std::uint64_t> pulses) {
  EuxfelModuleFile f;
  f.path = "m" + std::to_string(module) + ".h5";
  f.module = module;
  f.train_ids = trains;
  f.valid.assign(trains.size(), 1);
  f.count = counts;
  std::uint64_t at = 0;
  for (const std::uint64_t c : counts) f.first.push_back(at), at += c;
  f.pulse_ids = pulses;
  f.cell_ids.assign(pulses.size(), 7);
  return f;
}

TEST(EuxfelFramePlan, UnionOfPulsesWithMissingImagesAndMergedPieces) {
  EuxfelRun run;
  run.modules = 2;
  // Module 0: trains 10 and 11 with pulses 0, 1; module 1: train 10 without pulse 1, train 11 whole.
  run.files = {module_file(0, {10, 11}, {2, 2}, {0, 1, 0, 1}), module_file(1, {10, 11}, {1, 2}, {0, 0, 1})};
  const FramePlan plan = plan_frames(run, {}, {});
  ASSERT_EQ(plan.frames(), 4u);
  EXPECT_EQ(plan.train_ids, (std::vector<std::uint64_t>{10, 10, 11, 11}));
  EXPECT_EQ(plan.pulse_ids, (std::vector<std::uint64_t>{0, 1, 0, 1}));
  EXPECT_EQ(plan.missing, (std::vector<std::uint8_t>{0, 0, 0, 1, 0, 0, 0, 0}));
  // Module 0's four frames are one copy; module 1's split around the hole.
  ASSERT_EQ(plan.pieces.size(), 3u);
  EXPECT_EQ(plan.pieces[0].count, 4u);
  EXPECT_EQ(plan.pieces[1].count, 1u);
  EXPECT_EQ(plan.pieces[2].frame_first, 2u);
  EXPECT_EQ(plan.pieces[2].source_first, 1u);
  EXPECT_EQ(plan.pieces[2].count, 2u);
}

TEST(EuxfelFramePlan, SelectionsAndInvalidTrains) {
  EuxfelRun run;
  run.modules = 1;
  run.files = {module_file(0, {10, 11, 12}, {2, 2, 2}, {0, 4, 0, 4, 0, 4})};
  run.files[0].valid[1] = 0;
  FramePlan plan = plan_frames(run, parse_id_range("11:", "--trains"), parse_id_range(":4", "--pulses"));
  EXPECT_EQ(plan.train_ids, (std::vector<std::uint64_t>{12}));
  EXPECT_EQ(plan.pulse_ids, (std::vector<std::uint64_t>{0}));
  EXPECT_EQ(plan.pieces.at(0).source_first, 4u);
}

TEST(EuxfelFramePlan, DuplicatesAreErrors) {
  EuxfelRun run;
  run.modules = 1;
  run.files = {module_file(0, {10}, {2}, {3, 3})};
  EXPECT_THROW(plan_frames(run, {}, {}), InputError);
  run.files = {module_file(0, {10}, {1}, {3}), module_file(0, {10}, {1}, {3})};
  EXPECT_THROW(plan_frames(run, {}, {}), InputError);
}

TEST(EuxfelFramePlan, IdRanges) {
  EXPECT_FALSE(parse_id_range("", "--trains").first.has_value());
  const IdRange r = parse_id_range("5:9", "--trains");
  EXPECT_TRUE(r.contains(5));
  EXPECT_TRUE(r.contains(8));
  EXPECT_FALSE(r.contains(9));
  EXPECT_THROW(parse_id_range("9:5", "--trains"), InvalidArgument);
  EXPECT_THROW(parse_id_range("5", "--trains"), InvalidArgument);
  EXPECT_THROW(parse_id_range("a:b", "--pulses"), InvalidArgument);
}

TEST(EuxfelTrainValidity, FlagRulesOfEachVersion) {
  const std::vector<std::uint64_t> ids = {1, 2, 3};
  EXPECT_EQ(train_validity("1.0", ids, {1, 0, 1}), (std::vector<std::uint8_t>{1, 0, 1}));
  EXPECT_EQ(train_validity("1.3", ids, {1, 0, 1}), (std::vector<std::uint8_t>{1, 0, 1}));
  EXPECT_EQ(train_validity("1.1", ids, {0, 2, 0}), (std::vector<std::uint8_t>{1, 0, 1}));
}

TEST(EuxfelTrainValidity, Version05InvalidatesTheShorterSideOfAStepDown) {
  // One stray large ID before the run resumes: the single train is dropped, not the four after it.
  EXPECT_EQ(train_validity("0.5", {100, 101, 900, 102, 103, 104, 105}, {}),
            (std::vector<std::uint8_t>{1, 1, 0, 1, 1, 1, 1}));
  // A run that jumps back for good: the few trains before the jump that are >= the new IDs are dropped.
  EXPECT_EQ(train_validity("0.5", {500, 501, 10, 11, 12}, {}), (std::vector<std::uint8_t>{0, 0, 1, 1, 1}));
}

}  // namespace
}  // namespace xpulse::io
