// Reads of damaged-file suspects in a child process (io/isolated_call.h), declared sizes (io/declared_size.h).
#include "io/isolated_call.h"

#include <csignal>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/declared_size.h"

namespace xpulse::io {
namespace {

using namespace std::chrono_literals;

TEST(IsolatedCall, PassesBackWhatTheCallReturned) {
  const IsolatedResult r = run_isolated([] { return std::string("keV\0x", 5); }, 5s);
  ASSERT_TRUE(r.bytes.has_value()) << r.failure;
  EXPECT_EQ(*r.bytes, std::string("keV\0x", 5));
}

TEST(IsolatedCall, ACrashIsAFailureOfTheChildOnly) {
  // SIGKILL: the sanitizers turn a SIGSEGV into an exit status of their own.
  const IsolatedResult r = run_isolated([]() -> std::string { std::raise(SIGKILL); return "unreached"; }, 5s);
  EXPECT_FALSE(r.bytes.has_value());
  EXPECT_EQ(r.failure, "crashed (signal 9)");
}

TEST(IsolatedCall, ACallPastItsDeadlineIsStopped) {
  const auto start = std::chrono::steady_clock::now();
  const IsolatedResult r = run_isolated([] { std::this_thread::sleep_for(30s); return std::string("late"); }, 300ms);
  EXPECT_FALSE(r.bytes.has_value());
  EXPECT_EQ(r.failure, "took longer than 0.3 s");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(IsolatedCall, DeadlineFromTheEnvironment) {
  ::setenv("XPULSE_ATTRIBUTE_TIMEOUT", "2.5", 1);
  EXPECT_EQ(isolated_read_deadline(), 2500ms);
  ::setenv("XPULSE_ATTRIBUTE_TIMEOUT", "soon", 1);
  EXPECT_THROW(isolated_read_deadline(), InvalidArgument);
  ::unsetenv("XPULSE_ATTRIBUTE_TIMEOUT");
  EXPECT_EQ(isolated_read_deadline(), 10s);
}

TEST(Printable, KeepsUtf8AndEscapesTheRest) {
  EXPECT_EQ(printable("\xc3\x85ngstr\xc3\xb6m"), "\xc3\x85ngstr\xc3\xb6m");
  EXPECT_EQ(printable(std::string("a\x85z\n\0", 5)), "a\\x85z\\x0a\\x00");
  EXPECT_EQ(printable("\xe2\x82"), "\\xe2\\x82");  // a sequence cut short
}

TEST(DeclaredSize, ImplausibleExtentsAreRefusedBeforeAllocation) {
  const std::size_t huge[] = {1u << 20, 1u << 20, 1u << 10};
  try {
    check_declared_size(huge, 4, 5000, "/entry_1/data_1/data", "f.h5");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              "dataset '/entry_1/data_1/data' in 'f.h5' declares [1048576, 1048576, 1024] elements (4.5e+06 GB) in "
              "a file of 5000 bytes, more than 10000x its size: damaged file? (XPULSE_MAX_EXPANSION raises the "
              "limit)");
  }
  const std::size_t wraps[] = {std::size_t{1} << 40, std::size_t{1} << 40};  // the product overflows 64 bits
  EXPECT_THROW(check_declared_size(wraps, 8, 1u << 30, "d", "f.h5"), IoError);
  const std::size_t small[] = {1000, 1000, 60};  // 240 MB of fill values in a small file is still fine
  EXPECT_NO_THROW(check_declared_size(small, 4, 1000, "d", "f.h5"));
  const std::size_t large[] = {200, 2048, 2048};  // 3.4 GB in a 1 MB file: 3355x
  EXPECT_NO_THROW(check_declared_size(large, 4, 1u << 20, "d", "f.h5"));
  ::setenv("XPULSE_MAX_EXPANSION", "1000", 1);
  EXPECT_THROW(check_declared_size(large, 4, 1u << 20, "d", "f.h5"), IoError);
  ::unsetenv("XPULSE_MAX_EXPANSION");
}

}  // namespace
}  // namespace xpulse::io
