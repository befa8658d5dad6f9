#pragma once
// The files of the dashboard's page (web/src) and of its npm packages (uPlot), embedded into the binary at build
// time (cmake/embed_assets.cmake), so that `xpulse serve` reads nothing from disk to serve them.
#include <span>
#include <string_view>

namespace xpulse::pipelines {

struct DashboardAsset {
  const char* name;  // as requested: "index.html", "uPlot.iife.min.js", ...
  const char* mime;
  std::string_view body;
};

std::span<const DashboardAsset> dashboard_assets();

}  // namespace xpulse::pipelines
