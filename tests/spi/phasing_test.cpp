// Phasing: schedules parse (and bad ones name the problem); ER/HIO with shrinkwrap recovers a density from its
// amplitudes up to the trivial ambiguities (translation, mirror image), judged after alignment.
#include "spi/phasing.h"

#include <cmath>

#include <gtest/gtest.h>

#include "centred_grid.h"

#include "core/error.h"
#include "sim/random.h"
#include "spi/density_alignment.h"
#include "spi/grid_transform.h"
#include "spi/mtip.h"

namespace xpulse::spi {
namespace {

using Kind = PhasingStep::Kind;

TEST(PhasingSchedule, ParsesGroupsAndSteps) {
  const auto s = parse_phasing_schedule("2x(10ER, 5hio,shrinkwrap),3ER");
  ASSERT_EQ(s.size(), 7u);
  EXPECT_EQ(s[0].kind, Kind::er);
  EXPECT_EQ(s[0].count, 10);
  EXPECT_EQ(s[1].kind, Kind::hio);
  EXPECT_EQ(s[1].count, 5);
  EXPECT_EQ(s[2].kind, Kind::shrinkwrap);
  EXPECT_EQ(s[6].kind, Kind::er);
  EXPECT_EQ(s[6].count, 3);
  EXPECT_EQ(parse_phasing_schedule("5x(10ER,5HIO,10ER,shrinkwrap)").size(), 20u);
  EXPECT_EQ(parse_phasing_schedule("2x(2x(1ER))").size(), 4u);
}

void expect_schedule_error(const std::string& text, const std::string& what) {
  try {
    parse_phasing_schedule(text);
    ADD_FAILURE() << "accepted " << text;
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

TEST(PhasingSchedule, BadSchedulesNameTheProblem) {
  expect_schedule_error("", "no steps");
  expect_schedule_error("10XY", "unknown step at '10xy'");
  expect_schedule_error("ER", "must start with a count");
  expect_schedule_error("0ER", "counts must be >= 1");
  expect_schedule_error("2x(10ER", "missing ')'");
  expect_schedule_error("10ER)", "unexpected ')'");
}

// Two blobs of different size off the centre: no symmetry to hide behind.
std::vector<double> test_density(std::size_t m) {
  return centred_grid(m, [](double dx, double dy, double dz) {
    const double r1 = (dx - 1.5) * (dx - 1.5) + dy * dy + (dz - 1) * (dz - 1);
    const double r2 = (dx + 2) * (dx + 2) + (dy - 1.5) * (dy - 1.5) + dz * dz;
    return std::exp(-r1 / 3.0) + 0.6 * std::exp(-r2 / 1.5);
  });
}

TEST(Phasing, RecoversADensityFromItsAmplitudes) {
  const std::size_t m = 21;
  const std::vector<double> truth = test_density(m);
  const auto f = reciprocal_from_real_space(std::vector<std::complex<double>>(truth.begin(), truth.end()), m, 1);
  std::vector<double> amplitude(f.size());
  for (std::size_t k = 0; k < f.size(); ++k) amplitude[k] = std::abs(f[k]);
  const std::vector<double> a = autocorrelation_of(truth, m, 1);
  const std::vector<std::uint8_t> support = autocorrelation_support(a, 0.01);
  std::vector<double> start(m * m * m);
  sim::Xoshiro256 random(5, 0);
  for (std::size_t k = 0; k < start.size(); ++k) start[k] = support[k] ? random.uniform() : 0.0;
  const PhasingResult r = phase(amplitude, m, start, support,
                                parse_phasing_schedule("10x(20ER,20HIO,20ER,shrinkwrap),50ER"), {});
  std::printf("Fourier error %.3f, support %zu voxels\n", r.fourier_error, r.support_size);
  EXPECT_LT(r.fourier_error, 0.2);  // shrinkwrap trims the Gaussian tails, so it cannot reach 0
  EXPECT_GT(r.support_size, 10u);
  EXPECT_LT(r.support_size, static_cast<std::size_t>(std::count(support.begin(), support.end(), 1)));
  for (double v : r.density) EXPECT_GE(v, 0.0);
  runtime::ThreadPool pool(2);
  AlignmentOptions options;
  options.coarse_rotations = 200;
  const Alignment aligned = align_density(r.density, truth, m, options, pool);
  std::printf("CC %.4f\n", aligned.cc);
  EXPECT_GT(aligned.cc, 0.98);
}

TEST(Phasing, BadInputIsRefused) {
  const std::size_t m = 7, m3 = 343;
  const auto schedule = parse_phasing_schedule("1ER");
  EXPECT_THROW(phase(std::vector<double>(m3, 1.0), 8, std::vector<double>(m3), std::vector<std::uint8_t>(m3), schedule, {}),
               InvalidArgument);
  EXPECT_THROW(phase(std::vector<double>(m3, -1.0), m, std::vector<double>(m3), std::vector<std::uint8_t>(m3), schedule, {}),
               InvalidArgument);
  EXPECT_THROW(phase(std::vector<double>(m3, NAN), m, std::vector<double>(m3), std::vector<std::uint8_t>(m3), schedule, {}),
               InvalidArgument);
  EXPECT_THROW(phase(std::vector<double>(m3, 1.0), m, std::vector<double>(10), std::vector<std::uint8_t>(m3), schedule, {}),
               InvalidArgument);
}

}  // namespace
}  // namespace xpulse::spi
