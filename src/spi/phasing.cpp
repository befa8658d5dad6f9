#include "spi/phasing.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <complex>
#include <numbers>

#include <fmt/format.h>

#include "core/error.h"
#include "nufft/fine_grid_fft.h"
#include "spi/grid_transform.h"

namespace xpulse::spi {
namespace {

class ScheduleParser {
 public:
  explicit ScheduleParser(const std::string& text) {
    for (char c : text) {
      if (!std::isspace(static_cast<unsigned char>(c))) text_.push_back(static_cast<char>(std::tolower(c)));
    }
  }

  std::vector<PhasingStep> parse() {
    if (text_.empty()) fail("no steps");
    std::vector<PhasingStep> steps = list();
    if (pos_ != text_.size()) fail("unexpected '" + text_.substr(pos_) + "'");
    return steps;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw InvalidArgument(fmt::format("phasing schedule: {} (expected e.g. \"5x(10ER,5HIO,10ER,shrinkwrap)\")", what));
  }

  std::vector<PhasingStep> list() {
    std::vector<PhasingStep> steps = item();
    while (pos_ < text_.size() && text_[pos_] == ',') {
      ++pos_;
      std::vector<PhasingStep> more = item();
      steps.insert(steps.end(), more.begin(), more.end());
    }
    return steps;
  }

  std::vector<PhasingStep> item() {
    if (text_.compare(pos_, 10, "shrinkwrap") == 0) {
      pos_ += 10;
      return {{PhasingStep::Kind::shrinkwrap, 1}};
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ == start) fail(fmt::format("a step must start with a count or be 'shrinkwrap' at '{}'", text_.substr(start)));
    if (pos_ - start > 6) fail("count too large");
    const int count = std::stoi(text_.substr(start, pos_ - start));
    if (count < 1) fail("counts must be >= 1");
    if (text_.compare(pos_, 2, "x(") == 0) {
      pos_ += 2;
      const std::vector<PhasingStep> body = list();
      if (pos_ >= text_.size() || text_[pos_] != ')') fail("missing ')'");
      ++pos_;
      std::vector<PhasingStep> steps;
      for (int k = 0; k < count; ++k) steps.insert(steps.end(), body.begin(), body.end());
      return steps;
    }
    if (text_.compare(pos_, 3, "hio") == 0) return pos_ += 3, std::vector<PhasingStep>{{PhasingStep::Kind::hio, count}};
    if (text_.compare(pos_, 2, "er") == 0) return pos_ += 2, std::vector<PhasingStep>{{PhasingStep::Kind::er, count}};
    fail(fmt::format("unknown step at '{}'", text_.substr(start)));
  }

  std::string text_;
  std::size_t pos_ = 0;
};

// Grids are kept rolled (centre at index 0, grid_transform.h) so that the transforms are plain FFTs.
class Phaser {
 public:
  Phaser(const std::vector<double>& amplitude, std::size_t m, const PhasingOptions& options)
      : m_(m), options_(options), amplitude_(roll_centre_to_origin(amplitude, m)), work_(amplitude.size()) {
    const std::size_t dims[3] = {m, m, m};
    forward_ = std::make_unique<nufft::FineGridFft<double>>(dims, -1, options.threads, work_.data());
    backward_ = std::make_unique<nufft::FineGridFft<double>>(dims, +1, options.threads, work_.data());
  }

  // work_ = rho' (the Fourier projection of rho); returns the Fourier error.
  double fourier_projection(const std::vector<double>& rho) {
    for (std::size_t k = 0; k < rho.size(); ++k) work_[k] = rho[k];
    forward_->execute();
    double err = 0, norm = 0;
    for (std::size_t k = 0; k < work_.size(); ++k) {
      const double a = std::abs(work_[k]);
      err += (a - amplitude_[k]) * (a - amplitude_[k]);
      norm += amplitude_[k] * amplitude_[k];
      work_[k] = a > 0 ? work_[k] * (amplitude_[k] / a) : std::complex<double>(amplitude_[k], 0);
    }
    backward_->execute();
    const double scale = 1.0 / static_cast<double>(work_.size());
    for (auto& v : work_) v *= scale;
    return norm > 0 ? std::sqrt(err / norm) : 0.0;
  }

  double iterate(std::vector<double>& rho, const std::vector<std::uint8_t>& support, bool hio) {
    const double error = fourier_projection(rho);
    for (std::size_t k = 0; k < rho.size(); ++k) {
      const double p = work_[k].real();
      if (support[k] && p >= 0) rho[k] = p;
      else rho[k] = hio ? rho[k] - options_.hio_beta * p : 0.0;
    }
    return error;
  }

  std::vector<std::uint8_t> shrinkwrap(const std::vector<double>& rho) {
    for (std::size_t k = 0; k < rho.size(); ++k) work_[k] = rho[k];
    forward_->execute();
    const double s = options_.shrinkwrap_sigma, md = static_cast<double>(m_);
    auto frequency = [&](std::size_t j) {
      const double f = j <= m_ / 2 ? static_cast<double>(j) : static_cast<double>(j) - md;
      return f / md;
    };
    const double c = -2 * std::numbers::pi * std::numbers::pi * s * s;
    for (std::size_t z = 0; z < m_; ++z)
      for (std::size_t y = 0; y < m_; ++y)
        for (std::size_t x = 0; x < m_; ++x) {
          const double f2 = frequency(x) * frequency(x) + frequency(y) * frequency(y) + frequency(z) * frequency(z);
          work_[x + m_ * (y + m_ * z)] *= std::exp(c * f2);
        }
    backward_->execute();
    double peak = 0;
    for (const auto& v : work_) peak = std::max(peak, v.real());
    std::vector<std::uint8_t> support(rho.size());
    for (std::size_t k = 0; k < rho.size(); ++k) {
      support[k] = work_[k].real() > options_.shrinkwrap_threshold * peak ? 1 : 0;
    }
    return support;
  }

 private:
  std::size_t m_;
  PhasingOptions options_;
  std::vector<double> amplitude_;
  std::vector<std::complex<double>> work_;
  std::unique_ptr<nufft::FineGridFft<double>> forward_, backward_;
};

}  // namespace

std::vector<PhasingStep> parse_phasing_schedule(const std::string& text) { return ScheduleParser(text).parse(); }

std::vector<std::uint8_t> autocorrelation_support(const std::vector<double>& autocorrelation, double fraction) {
  const double peak = *std::max_element(autocorrelation.begin(), autocorrelation.end());
  std::vector<std::uint8_t> support(autocorrelation.size());
  for (std::size_t k = 0; k < support.size(); ++k) support[k] = autocorrelation[k] > fraction * peak ? 1 : 0;
  return support;
}

PhasingResult phase(const std::vector<double>& amplitude, std::size_t m, std::vector<double> density,
                    std::vector<std::uint8_t> support, const std::vector<PhasingStep>& schedule,
                    const PhasingOptions& options) {
  const std::size_t m3 = m * m * m;
  if (m % 2 == 0 || amplitude.size() != m3 || density.size() != m3 || support.size() != m3) {
    throw InvalidArgument("phasing needs amplitude, density and support on the same M^3 grid, M odd");
  }
  for (double a : amplitude) {
    if (!(a >= 0) || !std::isfinite(a)) throw InvalidArgument("phasing amplitudes must be finite and >= 0");
  }
  Phaser phaser(amplitude, m, options);
  std::vector<double> rho = roll_centre_to_origin(density, m);
  std::vector<std::uint8_t> s = roll_centre_to_origin(support, m);
  PhasingResult result;
  for (const PhasingStep& step : schedule) {
    if (step.kind == PhasingStep::Kind::shrinkwrap) {
      std::vector<std::uint8_t> next = phaser.shrinkwrap(rho);
      // An empty support would erase the density; keep the last one instead.
      if (std::count(next.begin(), next.end(), 1) > 0) s = std::move(next);
      continue;
    }
    for (int i = 0; i < step.count; ++i) {
      result.fourier_error = phaser.iterate(rho, s, step.kind == PhasingStep::Kind::hio);
    }
  }
  // The last iterate obeys the constraints exactly.
  for (std::size_t k = 0; k < m3; ++k) {
    if (!s[k] || rho[k] < 0) rho[k] = 0;
  }
  result.density = roll_origin_to_centre(rho, m);
  result.support = roll_origin_to_centre(s, m);
  result.support_size = static_cast<std::size_t>(std::count(result.support.begin(), result.support.end(), 1));
  return result;
}

}  // namespace xpulse::spi
