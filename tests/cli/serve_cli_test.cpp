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

// `xpulse serve --port 0` in the background; its port read from what it prints.
class Server {
 public:
  Server(const std::string& db, const ScratchDir& dir) : log_(dir / "serve.txt") {
    // exec: the spawned process is the server itself.
    const std::string command = "exec " + std::string(XPULSE_BINARY) + " serve --port 0 --db " + db + " >" + log_ + " 2>&1";
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = 0;
    for (int i = 0; i < 100 && pid_ > 0 && port == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::smatch m;
      const std::string text = slurp(log_);
      if (std::regex_search(text, m, std::regex(R"(127\.0\.0\.1:(\d+)/)"))) port = std::stoi(m[1]);
    }
    if (port == 0) ADD_FAILURE() << "xpulse serve did not start: " << slurp(log_);
  }
  ~Server() { stop(); }
  // SIGTERM; the exit status (-1 when it did not exit normally).
  int stop() const {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  int port = 0;

 private:
  std::string log_;
  mutable pid_t pid_ = 0;
};

TEST(ServeCli, ApiAnswersAndRefusesWhatItShould) {
  ScratchDir dir;
  const std::string db = dir / "runs.db";
  ASSERT_EQ(run_xpulse_with("XPULSE_DB=" + db, "simulate pump-probe --out " + dir / "s.h5" + " --shape 20x16x16", dir)
                .exit_code,
            0);
  ASSERT_EQ(run_xpulse_with("XPULSE_DB=" + db, "fit " + dir / "s.h5" + " --out " + dir / "f.h5" + " --unit-rows 4", dir)
                .exit_code,
            0);
  const Server server(db, dir);
  httplib::Client client("127.0.0.1", server.port);
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
  EXPECT_EQ(server.stop(), 0) << slurp(dir / "serve.txt");
}

TEST(ServeCli, FitMapsSeriesAndAssetsOfRecordedRuns) {
  ScratchDir dir;
  const std::string db = dir / "runs.db", env = "XPULSE_DB=" + db;
  ASSERT_EQ(run_xpulse_with(env, "simulate pump-probe --out " + dir / "s.h5" + " --shape 40x24x20", dir).exit_code, 0);
  ASSERT_EQ(run_xpulse_with(env, "fit " + dir / "s.h5" + " --out " + dir / "f.h5", dir).exit_code, 0);
  ASSERT_EQ(run_xpulse_with(env,
                            "simulate sfx --pdb " XPULSE_TEST_DATA "/2cex.pdb --out " + dir / "x.cxi" +
                                " --frames 70 --pixels 256x256 --hit-fraction 0.5 --seed 2",
                            dir)
                .exit_code,
            0);
  ASSERT_EQ(run_xpulse_with(env, "sfx peaks " + dir / "x.cxi" + " --out " + dir / "p.h5", dir).exit_code, 0);
  const Server server(db, dir);
  httplib::Client client("127.0.0.1", server.port);

  // The frequency map of the fit (run 2), drawn from its output: a PNG with its scale in the headers.
  auto r = client.Get("/api/runs/2/maps/frequency.png");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/png");
  EXPECT_EQ(r->body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(r->get_header_value("X-Xpulse-Units"), "THz");
  EXPECT_LT(std::stod(r->get_header_value("X-Xpulse-Low")), std::stod(r->get_header_value("X-Xpulse-High")));
  for (const std::string path : {"/api/runs/2/maps/no_such.png", "/api/runs/1/maps/frequency.png",
                                 "/api/runs/2/maps/..%2F..%2Fetc%2Fpasswd.png", "/api/runs/2/maps/%2Fetc%2Fpasswd.png",
                                 "/api/runs/9/maps/frequency.png", "/api/runs/2/maps/frequency"}) {
    r = client.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
  }

  // The hit-rate strip chart of sfx peaks (run 4): one point per read of 32 frames, at its last frame.
  r = client.Get("/api/runs/4");
  ASSERT_TRUE(r);
  const auto run = nlohmann::json::parse(r->body);
  EXPECT_EQ(run["command"], "sfx peaks");
  std::vector<double> frames;
  for (const auto& p : run["series"]) {
    EXPECT_EQ(p["name"], "hit_rate_percent");
    EXPECT_GE(p["y"].get<double>(), 0.0);
    EXPECT_LE(p["y"].get<double>(), 100.0);
    frames.push_back(p["x"].get<double>());
  }
  EXPECT_EQ(frames, (std::vector<double>{32, 64, 70}));

  // The page's embedded assets, by exact name only.
  r = client.Get("/assets/uPlot.iife.min.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(r->body.find("uPlot"), std::string::npos);
  r = client.Get("/");
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("assets/dashboard.js"), std::string::npos);
  for (const std::string path : {"/assets/no_such.js", "/assets/..%2Fsrc%2Findex.html", "/assets/../runs.db",
                                 "/assets/", "/web/src/index.html"}) {
    r = client.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
  }
  EXPECT_EQ(server.stop(), 0);
}

TEST(ServeCli, BadOptionsAreOneLine) {
  ScratchDir dir;
  expect_input_error(run_xpulse("serve --port 70000 --db " + dir / "r.db", dir), "--port must be in 0..65535, got 70000");
  expect_input_error(run_xpulse_with("XPULSE_DB=none", "serve", dir), "no run database (XPULSE_DB is off)");
  expect_input_error(run_xpulse("serve --bind 203.0.113.7 --db " + dir / "r.db", dir), "cannot listen on 203.0.113.7");
}

}  // namespace
}  // namespace xpulse::testing
