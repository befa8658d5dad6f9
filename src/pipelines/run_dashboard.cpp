#include "pipelines/run_dashboard.h"

#include <atomic>
#include <charconv>
#include <memory>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "runtime/run_store.h"

namespace xpulse::pipelines {
namespace {

std::atomic<httplib::Server*> running{nullptr};
std::atomic<bool> stop_requested{false};  // a stop before the server listens must not be lost

constexpr const char* kPage = R"html(<!doctype html>
<html><head><meta charset="utf-8"><title>xpulse runs</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1.5em; }
table { border-collapse: collapse; }
td, th { padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }
.bar { background: #eee; width: 120px; height: 10px; } .bar div { background: #1f77b4; height: 10px; }
.failed { color: #d62728; } .running { color: #ff7f0e; }
</style></head>
<body><h1>xpulse runs</h1><p id="status">loading...</p>
<table><thead><tr><th>id</th><th>command</th><th>status</th><th>progress</th><th>ETA</th><th>started</th>
<th>host</th><th>ranks</th><th>metrics</th></tr></thead><tbody id="runs"></tbody></table>
<script>
function text(v) { const s = document.createElement('span'); s.textContent = v; return s.innerHTML; }
async function refresh() {
  try {
    const runs = await (await fetch('api/runs?limit=50')).json();
    const now = Date.now() / 1000;
    document.getElementById('runs').innerHTML = runs.map(r => {
      const elapsed = (r.ended > 0 ? r.ended : now) - r.started;
      const eta = r.status === 'running' && r.progress > 0 ? ((1 - r.progress) / r.progress * elapsed).toFixed(0) + ' s' : '';
      return `<tr><td>${r.id}</td><td>${text(r.command)}</td><td class="${text(r.status)}">${text(r.status)}</td>` +
        `<td><div class="bar"><div style="width:${(100 * r.progress).toFixed(1)}%"></div></div></td><td>${eta}</td>` +
        `<td>${new Date(r.started * 1000).toLocaleString()}</td><td>${text(r.host)}</td><td>${r.ranks}</td>` +
        `<td>${text(JSON.stringify(r.metrics))}</td></tr>`;
    }).join('');
    document.getElementById('status').textContent = `${runs.length} runs, updated ${new Date().toLocaleTimeString()}`;
  } catch (e) { document.getElementById('status').textContent = 'cannot reach the server: ' + e; }
}
refresh(); setInterval(refresh, 2000);
</script></body></html>
)html";

nlohmann::json run_json(const runtime::RunRecord& r) {
  return {{"id", r.id}, {"command", r.command}, {"command_line", r.command_line}, {"host", r.host},
          {"ranks", r.ranks}, {"started", r.started}, {"ended", r.ended}, {"status", r.status},
          {"message", r.message}, {"progress", r.progress},
          {"metrics", nlohmann::json::parse(r.metrics, nullptr, false)},
          {"inputs", nlohmann::json::parse(r.inputs, nullptr, false)},
          {"outputs", nlohmann::json::parse(r.outputs, nullptr, false)}};
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

}  // namespace

void serve_dashboard(const DashboardRequest& r, const std::function<void(int port)>& ready) {
  if (r.port < 0 || r.port > 65535) throw InvalidArgument(fmt::format("--port must be in 0..65535, got {}", r.port));
  const std::string path = r.database.empty() ? runtime::RunStore::default_location() : r.database;
  if (path.empty() || path == "none" || path == "off") throw InvalidArgument("no run database (XPULSE_DB is off)");
  std::unique_ptr<runtime::RunStore> store;
  try {
    store = runtime::RunStore::open(path);
  } catch (const Error& e) {
    throw InputError(e.what());
  }
  std::mutex store_mutex;  // one connection, requests on several threads
  httplib::Server server;
  server.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_content(kPage, "text/html"); });
  server.Get("/api/runs", [&](const httplib::Request& req, httplib::Response& res) {
    long long limit = 50;
    if (req.has_param("limit") && !parse_int(req.get_param_value("limit"), 1, 1000, limit)) {
      return error(res, 400, "limit must be a whole number in 1..1000");
    }
    nlohmann::json out = nlohmann::json::array();
    std::lock_guard lock(store_mutex);
    for (const auto& run : store->list(static_cast<std::size_t>(limit))) out.push_back(run_json(run));
    res.set_content(out.dump(), "application/json");
  });
  server.Get(R"(/api/runs/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
    long long id = 0;
    if (!parse_int(req.matches[1], 1, std::numeric_limits<long long>::max(), id)) {
      return error(res, 400, "a run id is a positive whole number");
    }
    std::lock_guard lock(store_mutex);
    const auto run = store->get(id);
    if (!run) return error(res, 404, fmt::format("run {} is not in the run database", id));
    nlohmann::json j = run_json(*run);
    nlohmann::json units = nlohmann::json::array();
    for (const auto& u : store->work_units(id)) {
      units.push_back({{"rank", u.rank}, {"unit", u.unit}, {"started", u.started}, {"ended", u.ended},
                       {"bytes", u.bytes}});
    }
    j["work_units"] = units;
    res.set_content(j.dump(), "application/json");
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
