#include "runtime/journal.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/error.h"

namespace xpulse::runtime {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("xpulse_journal_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    out_ = (dir_ / "maps.h5").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string out_;
};

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  PayloadWriter w;
  for (int v : values) w.put(v);
  return w.bytes();
}

TEST_F(JournalTest, RecordsSurviveAndAreReadBackInOrder) {
  EXPECT_EQ(Journal::prepare(out_, "{\"job\":1}", false), 0u);
  {
    Journal j(out_, "{\"job\":1}", 0);
    EXPECT_TRUE(j.entries().empty());
    j.append(7, bytes_of({1, 2, 3}));
    j.append(3, bytes_of({4}));
  }
  EXPECT_EQ(Journal::recorded(out_), 2u);
  EXPECT_EQ(Journal::prepare(out_, "{\"job\":1}", true), 2u);
  Journal j(out_, "{\"job\":1}", 1);  // another rank sees rank 0's records
  ASSERT_EQ(j.entries().size(), 2u);
  EXPECT_EQ(j.entries()[0].unit, 7u);
  EXPECT_EQ(j.entries()[1].unit, 3u);
  EXPECT_EQ(j.entries()[0].file_rank, 0);
  const std::vector<std::byte> payload = j.load(j.entries()[0]);
  PayloadReader in(payload);
  EXPECT_EQ(in.get<int>(), 1);
  EXPECT_EQ(in.get<int>(), 2);
  EXPECT_EQ(in.get<int>(), 3);
  EXPECT_TRUE(in.done());
  EXPECT_THROW(in.get<int>(), Error);
}

TEST_F(JournalTest, TornRecordIsDroppedAndOverwritten) {
  Journal::prepare(out_, "{}", false);
  { Journal j(out_, "{}", 0); j.append(1, bytes_of({10})); j.append(2, bytes_of({20})); }
  // A kill in the middle of the second record: cut its last bytes.
  const fs::path file = fs::path(Journal::directory_for(out_)) / "rank-0.log";
  fs::resize_file(file, fs::file_size(file) - 3);
  EXPECT_EQ(Journal::recorded(out_), 1u);
  {
    Journal j(out_, "{}", 0);
    ASSERT_EQ(j.entries().size(), 1u);
    EXPECT_EQ(j.entries()[0].unit, 1u);
    j.append(2, bytes_of({21}));
  }
  Journal j(out_, "{}", 0);
  ASSERT_EQ(j.entries().size(), 2u);
  const std::vector<std::byte> payload = j.load(j.entries()[1]);
  PayloadReader in(payload);
  EXPECT_EQ(in.get<int>(), 21);
}

TEST_F(JournalTest, CorruptedPayloadFailsItsChecksum) {
  Journal::prepare(out_, "{}", false);
  { Journal j(out_, "{}", 0); j.append(1, bytes_of({10, 11})); }
  const fs::path file = fs::path(Journal::directory_for(out_)) / "rank-0.log";
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(-12, std::ios::end);  // inside the payload
  f.put('\x7f');
  f.close();
  EXPECT_EQ(Journal::recorded(out_), 0u);
}

TEST_F(JournalTest, ExistingJournalWithoutResumeIsAnErrorThatSaysSo) {
  Journal::prepare(out_, "{}", false);
  Journal(out_, "{}", 0).append(3, bytes_of({1}));
  try {
    Journal::prepare(out_, "{}", false);
    FAIL() << "no error";
  } catch (const JournalRefused& e) {
    EXPECT_NE(std::string(e.what()).find("a journal of an unfinished run with 1 finished work unit exists at '" +
                                         out_ + ".journal': rerun with --resume to continue it, or delete it"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(JournalTest, JournalWithoutFinishedUnitsIsDiscarded) {
  Journal::prepare(out_, R"({"input":"a.h5"})", false);
  { Journal j(out_, R"({"input":"a.h5"})", 0); }  // killed before its first unit
  EXPECT_EQ(Journal::prepare(out_, R"({"input":"b.h5"})", false), 0u);
  Journal j(out_, R"({"input":"b.h5"})", 0);
  EXPECT_TRUE(j.entries().empty());
}

TEST_F(JournalTest, JournalOfAnotherJobIsRefusedNamingTheDifference) {
  Journal::prepare(out_, R"({"input":"a.h5","t0_ps":0.0})", false);
  Journal(out_, R"({"input":"a.h5","t0_ps":0.0})", 0).append(0, bytes_of({1}));
  try {
    Journal::prepare(out_, R"({"input":"a.h5","t0_ps":0.5})", true);
    FAIL() << "no error";
  } catch (const JournalRefused& e) {
    EXPECT_NE(std::string(e.what()).find("belongs to a different job: t0_ps was 0.0, is now 0.5;"), std::string::npos)
        << e.what();
  }
}

TEST_F(JournalTest, ChangedInputIsNamedInWords) {
  const std::string before = R"({"input":"/d/a.h5","input_bytes":10,"input_modified_ns":1})";
  Journal::prepare(out_, before, false);
  Journal(out_, before, 0).append(0, bytes_of({1}));
  try {
    Journal::prepare(out_, R"({"input":"/d/a.h5","input_bytes":10,"input_modified_ns":2})", true);
    FAIL() << "no error";
  } catch (const JournalRefused& e) {
    EXPECT_NE(std::string(e.what()).find("the input '/d/a.h5' was modified since the journal was written"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(JournalTest, FailureRemovesAnEmptyJournalAndNamesTheUnitsOfAFullOne) {
  const auto fail = [&](bool owner) {
    Journal::guard(out_, owner, []() -> int { throw IoError("chunk 4 is corrupt"); });
  };
  Journal::prepare(out_, "{}", false);
  { Journal j(out_, "{}", 0); }
  EXPECT_THROW(fail(false), IoError);
  EXPECT_TRUE(fs::exists(out_ + ".journal")) << "only the owner (rank 0) cleans up";
  try {
    fail(true);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_STREQ(e.what(), "chunk 4 is corrupt");
  }
  EXPECT_FALSE(fs::exists(out_ + ".journal"));

  Journal::prepare(out_, "{}", false);
  Journal(out_, "{}", 0).append(0, bytes_of({1}));
  try {
    fail(true);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "chunk 4 is corrupt (1 finished work unit kept in '" + out_ +
                                         ".journal': fix the problem and rerun with --resume, or delete it to start "
                                         "again)");
  }
  EXPECT_TRUE(fs::exists(out_ + ".journal"));
}

TEST_F(JournalTest, ReplaceKeepsOnlyTheLatestCheckpoint) {
  Journal::prepare(out_, "{}", false);
  {
    Journal j(out_, "{}", 2);
    j.replace(10, bytes_of({1}));
    j.replace(20, bytes_of({2}));
  }
  Journal j(out_, "{}", 2);
  ASSERT_EQ(j.entries().size(), 1u);
  EXPECT_EQ(j.entries()[0].unit, 20u);
  EXPECT_EQ(j.entries()[0].file_rank, 2);
  Journal::remove(out_);
  EXPECT_FALSE(fs::exists(Journal::directory_for(out_)));
}

}  // namespace
}  // namespace xpulse::runtime
