// `xpulse serve`: the JSON API answers with the run records; unknown paths, traversal attempts, very long URLs,
// bad queries and other methods get 4xx and never a file; SIGTERM stops it.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli_harness.h"

extern char** environ;

namespace xpulse::testing {
namespace {

TEST(ServeCli, ApiAnswersAndRefusesWhatItShould) {
  ScratchDir dir;
  const std::string db = dir / "runs.db";
  ASSERT_EQ(run_xpulse_with("XPULSE_DB=" + db, "simulate pump-probe --out " + dir / "s.h5" + " --shape 20x16x16", dir)
                .exit_code,
            0);
  ASSERT_EQ(run_xpulse_with("XPULSE_DB=" + db, "fit " + dir / "s.h5" + " --out " + dir / "f.h5" + " --unit-rows 4", dir)
                .exit_code,
            0);
  const std::string log = dir / "serve.txt";
  // exec: the spawned process is the server itself.
  const std::string command = "exec " + std::string(XPULSE_BINARY) + " serve --port 0 --db " + db + " >" + log + " 2>&1";
  pid_t pid = 0;
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  ASSERT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  int port = 0;
  for (int i = 0; i < 100 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::smatch m;
    const std::string text = slurp(log);
    if (std::regex_search(text, m, std::regex(R"(127\.0\.0\.1:(\d+)/)"))) port = std::stoi(m[1]);
  }
  ASSERT_GT(port, 0) << slurp(log);
  httplib::Client client("127.0.0.1", port);
  auto r = client.Get("/api/runs");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const auto runs = nlohmann::json::parse(r->body);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["command"], "fit");
  r = client.Get("/api/runs/2");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(nlohmann::json::parse(r->body)["work_units"].size(), 4u);
  r = client.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("xpulse runs"), std::string::npos);
  for (const std::string path : {"/api/runs/99", "/../../etc/passwd", "/etc/passwd", "/api/runs/..%2F..%2Fetc%2Fpasswd",
                                 "/api/runs?limit=abc", "/api/runs?limit=-1", "/api/runs/x", "/runs.db"}) {
    r = client.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_GE(r->status, 400) << path;
    EXPECT_LT(r->status, 500) << path;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << path;
  }
  r = client.Get("/" + std::string(20000, 'a'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 414);
  r = client.Post("/api/runs", "{not json", "application/json");
  ASSERT_TRUE(r);
  EXPECT_GE(r->status, 400);
  EXPECT_LT(r->status, 500);
  r = client.Get("/api/runs");  // still serving after all of that
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // SIGTERM stops it, with exit status 0.
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(log);
}

TEST(ServeCli, BadOptionsAreOneLine) {
  ScratchDir dir;
  expect_input_error(run_xpulse("serve --port 70000 --db " + dir / "r.db", dir), "--port must be in 0..65535, got 70000");
  expect_input_error(run_xpulse_with("XPULSE_DB=none", "serve", dir), "no run database (XPULSE_DB is off)");
  expect_input_error(run_xpulse("serve --bind 203.0.113.7 --db " + dir / "r.db", dir), "cannot listen on 203.0.113.7");
}

}  // namespace
}  // namespace xpulse::testing
