// Fits damped cosines of known frequency with the installed xpulse and checks what comes back: the frequencies,
// the status codes, the version, and the error a bad call raises. Prints "ok" and exits 0 when all hold.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include <xpulse/xpulse.h>

int main() {
  const std::size_t delays = 64, traces = 12;
  std::vector<double> t(delays);
  std::vector<float> data(delays * traces);
  std::vector<double> truth(traces);
  const double pi = 3.14159265358979323846;
  for (std::size_t k = 0; k < traces; ++k) truth[k] = 0.3 + 0.05 * static_cast<double>(k);  // THz
  for (std::size_t i = 0; i < delays; ++i) {
    t[i] = -1.0 + 0.2 * static_cast<double>(i);  // ps; the fit starts at t0 = 0
    for (std::size_t k = 0; k < traces; ++k) {
      const double s = t[i] < 0 ? 0.0 : 50.0 * std::exp(-0.2 * t[i]) * std::cos(2 * pi * truth[k] * t[i] + 0.4);
      data[i * traces + k] = static_cast<float>(1000.0 + s);
    }
  }
  std::vector<std::uint8_t> mask(traces, 0);
  mask[3] = 1;

  xpulse::PumpProbeFitOptions options;
  options.threads = 2;
  const xpulse::PumpProbeFit fit = xpulse::fit_pump_probe(data.data(), delays, traces, t, options, mask.data());
  int bad = 0;
  for (std::size_t k = 0; k < traces; ++k) {
    const auto status = fit.status[k];
    if (k == 3) {
      if (status != xpulse::TraceStatus::masked) { std::printf("trace 3: %s, not masked\n", xpulse::to_string(status).c_str()); ++bad; }
      continue;
    }
    const double f = fit["frequency"][k];
    if (status != xpulse::TraceStatus::converged || std::abs(f - truth[k]) > 1e-4) {
      std::printf("trace %zu: %s, frequency %.6f THz, truth %.6f\n", k, xpulse::to_string(status).c_str(), f, truth[k]);
      ++bad;
    }
  }
  if (std::strcmp(xpulse::version(), xpulse::kVersion) != 0) { std::printf("library %s, headers %s\n", xpulse::version(), xpulse::kVersion); ++bad; }
  try {
    xpulse::fit_pump_probe(data.data(), delays, traces, std::vector<double>(3, 0.0));
    std::printf("mismatched delays were accepted\n");
    ++bad;
  } catch (const xpulse::InputError& e) {
    if (std::strcmp(e.what(), "delays have 3 values but data has 64 delays") != 0) { std::printf("message: %s\n", e.what()); ++bad; }
  }
  std::printf(bad == 0 ? "ok %s\n" : "FAILED %s\n", xpulse::version());
  return bad == 0 ? 0 : 1;
}
