#include "pipelines/run_dashboard.h"

#include <atomic>
#include <charconv>
#include <limits>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "pipelines/dashboard_assets.h"
#include "pipelines/fit_map_image.h"
#include "runtime/run_record_json.h"
#include "runtime/run_store.h"

namespace xpulse::pipelines {
namespace {

std::atomic<httplib::Server*> running{nullptr};
std::atomic<bool> stop_requested{false};  // a stop before the server listens must not be lost

// An embedded asset by name, or nullptr.
const DashboardAsset* find_asset(const std::string& name) {
  for (const DashboardAsset& a : dashboard_assets()) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

void send_asset(httplib::Response& res, const DashboardAsset& a) {
  res.set_content(a.body.data(), a.body.size(), fmt::format("{}; charset=utf-8", a.mime));
  res.set_header("Cache-Control", "no-cache");
}

void error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
}

// A whole decimal number in [low, high], or nothing.
bool parse_int(const std::string& text, long long low, long long high, long long& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= low && out <= high;
}

// The run id of a request's first match, or nothing after answering 400.
std::optional<long long> run_id(const httplib::Request& req, httplib::Response& res) {
  long long id = 0;
  if (parse_int(req.matches[1], 1, std::numeric_limits<long long>::max(), id)) return id;
  error(res, 400, "a run id is a positive whole number");
  return std::nullopt;
}

}  // namespace

void serve_dashboard(const DashboardRequest& r, const std::function<void(int port)>& ready) {
  if (r.port < 0 || r.port > 65535) throw InvalidArgument(fmt::format("--port must be in 0..65535, got {}", r.port));
  const std::unique_ptr<runtime::RunStore> store = runtime::RunStore::open_records(r.database);
  std::mutex store_mutex;  // one connection, requests on several threads
  httplib::Server server;
  server.Get("/", [](const httplib::Request&, httplib::Response& res) { send_asset(res, *find_asset("index.html")); });
  // Only the embedded files, by exact name: nothing is looked up on disk.
  server.Get(R"(/assets/([^/]+))", [](const httplib::Request& req, httplib::Response& res) {
    const DashboardAsset* a = find_asset(req.matches[1]);
    if (!a) return error(res, 404, "no such asset");
    send_asset(res, *a);
  });
  server.Get("/api/runs", [&](const httplib::Request& req, httplib::Response& res) {
    long long limit = 50;
    if (req.has_param("limit") && !parse_int(req.get_param_value("limit"), 1, 1000, limit)) {
      return error(res, 400, "limit must be a whole number in 1..1000");
    }
    nlohmann::json out = nlohmann::json::array();
    std::lock_guard lock(store_mutex);
    for (const auto& run : store->list(static_cast<std::size_t>(limit))) out.push_back(runtime::run_json(run));
    res.set_content(out.dump(), "application/json");
  });
  server.Get(R"(/api/runs/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
    const auto parsed = run_id(req, res);
    if (!parsed) return;
    const long long id = *parsed;
    std::lock_guard lock(store_mutex);
    const auto run = store->get(id);
    if (!run) return error(res, 404, fmt::format("run {} is not in the run database", id));
    nlohmann::json j = runtime::run_json(*run);
    j["work_units"] = runtime::work_units_json(store->work_units(id));
    j["series"] = runtime::series_json(store->series(id));
    res.set_content(j.dump(), "application/json");
  });
  // A fit map of a finished run, drawn from the output files the run recorded (and no other file).
  server.Get(R"(/api/runs/([^/]+)/maps/([A-Za-z0-9_]{1,64})\.png)", [&](const httplib::Request& req,
                                                                         httplib::Response& res) {
    const auto parsed = run_id(req, res);
    if (!parsed) return;
    const long long id = *parsed;
    std::optional<runtime::RunRecord> run;
    {
      std::lock_guard lock(store_mutex);
      run = store->get(id);
    }
    if (!run) return error(res, 404, fmt::format("run {} is not in the run database", id));
    const auto outputs = nlohmann::json::parse(run->outputs, nullptr, false);
    std::vector<std::string> paths;
    if (outputs.is_array()) {
      for (const auto& o : outputs) {
        if (o.is_string()) paths.push_back(o.get<std::string>());
      }
    }
    const auto image = render_fit_map(paths, req.matches[2]);
    if (!image) return error(res, 404, fmt::format("run {} has no output with /fit/{}", id, req.matches[2].str()));
    res.set_header("X-Xpulse-Low", fmt::format("{:.6g}", image->low));
    res.set_header("X-Xpulse-High", fmt::format("{:.6g}", image->high));
    res.set_header("X-Xpulse-Units", image->units);
    res.set_content(image->png, "image/png");
  });
  // Everything else, and every other method, is refused: nothing on disk is ever served.
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) error(res, res.status, "not found");
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    error(res, 500, "internal error");
  });
  const int port = r.port == 0 ? server.bind_to_any_port(r.bind) : (server.bind_to_port(r.bind, r.port) ? r.port : -1);
  if (port < 0) throw InputError(fmt::format("cannot listen on {}:{} (in use, or not an address here)", r.bind, r.port));
  running = &server;
  ready(port);
  if (!stop_requested) server.listen_after_bind();
  running = nullptr;
}

void stop_dashboard() {
  stop_requested = true;
  if (httplib::Server* s = running.load()) s->stop();
}

}  // namespace xpulse::pipelines
