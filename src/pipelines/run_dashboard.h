#pragma once
// `xpulse serve`: a read-only web dashboard and JSON API over the run database (runtime/run_store.h), served by
// cpp-httplib. It binds to localhost unless told, serves no file from disk (the page and its npm packages are
// embedded, pipelines/dashboard_assets.h; fit maps are drawn from a run's recorded outputs only), answers unknown
// paths with 404 and malformed queries with 400, and never writes.
//   GET /                      the dashboard (web/src): runs with progress, ETA and metrics, refreshed every
//                              second; the selected run's fit maps, series charts (uPlot) and weather plot
//   GET /assets/NAME           the page's scripts and style sheets
//   GET /api/runs?limit=N      the latest runs, newest first (N in 1..1000, default 50)
//   GET /api/runs/ID           one run with its work units and series
//   GET /api/runs/ID/maps/P.png  the fit map /fit/P of the run's outputs (viridis; X-Xpulse-Low, -High and
//                              -Units headers give its scale)
#include <functional>
#include <string>

namespace xpulse::pipelines {

struct DashboardRequest {
  std::string database;           // empty: $XPULSE_DB or ~/.local/share/xpulse/runs.db
  std::string bind = "127.0.0.1";
  int port = 8765;                // 0: any free port
};

// Serves until stop() of the returned handle is called (from a signal handler or another thread) or the process
// ends; `ready` is called with the bound port once the server listens. Throws InputError for a bad request.
void serve_dashboard(const DashboardRequest& request, const std::function<void(int port)>& ready);

// Stops a running serve_dashboard (safe from a signal handler's thread).
void stop_dashboard();

}  // namespace xpulse::pipelines
