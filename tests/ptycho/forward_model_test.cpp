// The ptychographic forward operator and its adjoints: <F m, d> = <m, F* d> for the object and for the probe,
// on random inputs, within float rounding.
#include <complex>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "ptycho/problem.h"
#include "runtime/thread_pool.h"

namespace xpulse::ptycho {
namespace {

std::vector<cfloat> random_field(std::size_t count, std::mt19937& random) {
  std::normal_distribution<float> normal;
  std::vector<cfloat> v(count);
  for (auto& x : v) x = cfloat(normal(random), normal(random));
  return v;
}

template <class A, class B>
std::complex<double> inner(const std::vector<A>& a, const std::vector<B>& b) {
  std::complex<double> s = 0;
  for (std::size_t k = 0; k < a.size(); ++k) s += std::conj(std::complex<double>(a[k])) * std::complex<double>(b[k]);
  return s;
}

struct Scan {
  std::size_t n = 32, ny = 80, nx = 72;
  std::vector<Position> positions;
  PtychoProblem problem;
  Scan() {
    std::mt19937 random(3);
    std::uniform_int_distribution<int> row(0, static_cast<int>(ny - n)), col(0, static_cast<int>(nx - n));
    for (int j = 0; j < 12; ++j) positions.push_back({row(random), col(random)});
    const std::vector<float> frames(positions.size() * n * n, 1.0f);
    problem = make_problem(frames, positions.size(), n, {}, positions, ny, nx);
  }
};

TEST(PtychoForwardModel, ObjectAndProbeAdjointsMatch) {
  const Scan scan;
  const std::size_t n = scan.n, n2 = n * n, frames = scan.positions.size();
  std::mt19937 random(11);
  const auto object = random_field(scan.ny * scan.nx, random);
  const auto probe = random_field(n2, random);
  const auto data = random_field(frames * n2, random);  // far fields
  const FrameFft fft(n);
  runtime::ThreadPool pool(2);

  // F m: the far fields of the exit waves.
  std::vector<cfloat> forward(frames * n2);
  for (std::size_t j = 0; j < frames; ++j) {
    exit_wave(object.data(), scan.nx, probe.data(), n, scan.positions[j], forward.data() + j * n2);
    fft.forward(forward.data() + j * n2);
  }
  // F* d, for the object (probe fixed) and for the probe (object fixed).
  std::vector<cfloat> back = data;
  for (std::size_t j = 0; j < frames; ++j) fft.backward(back.data() + j * n2);
  std::vector<cdouble> object_adjoint(object.size(), cdouble(0, 0)), probe_adjoint(n2, cdouble(0, 0));
  add_to_object(back.data(), 0, frames, scan.problem, probe.data(), object_adjoint.data(), nullptr, pool);
  add_to_probe(back.data(), 0, frames, scan.problem, object.data(), probe_adjoint.data(), nullptr, pool);

  const std::complex<double> lhs = inner(forward, data);
  const std::complex<double> object_rhs = inner(object, object_adjoint);
  const std::complex<double> probe_rhs = inner(probe, probe_adjoint);
  EXPECT_LT(std::abs(lhs - object_rhs) / std::abs(lhs), 1e-5) << lhs << " vs " << object_rhs;
  EXPECT_LT(std::abs(lhs - probe_rhs) / std::abs(lhs), 1e-5) << lhs << " vs " << probe_rhs;
}

TEST(PtychoForwardModel, UnitaryTransformsKeepThePower) {
  const FrameFft fft(24);
  std::mt19937 random(5);
  auto frame = random_field(24 * 24, random);
  const auto original = frame;
  double power = 0, transformed = 0;
  for (const auto& v : frame) power += std::norm(v);
  fft.forward(frame.data());
  for (const auto& v : frame) transformed += std::norm(v);
  EXPECT_NEAR(transformed / power, 1.0, 1e-5);
  fft.backward(frame.data());
  for (std::size_t k = 0; k < frame.size(); ++k) EXPECT_NEAR(std::abs(frame[k] - original[k]), 0.0, 1e-5);
}

TEST(PtychoForwardModel, DetectorAndFftOrdersAreInverse) {
  std::vector<float> detector(7 * 7), fft(7 * 7), back(7 * 7);
  for (std::size_t k = 0; k < detector.size(); ++k) detector[k] = static_cast<float>(k);
  detector_to_fft_order(detector.data(), fft.data(), 7);
  EXPECT_EQ(fft[0], detector[3 * 7 + 3]);  // the zero frequency moves from (n/2, n/2) to (0, 0)
  fft_to_detector_order(fft.data(), back.data(), 7);
  EXPECT_EQ(back, detector);
}

TEST(PtychoForwardModel, ProblemRefusesInconsistentInput) {
  const std::vector<float> frames(2 * 16 * 16, 1.0f);
  const std::vector<Position> inside = {{0, 0}, {4, 4}};
  EXPECT_THROW(make_problem(frames, 2, 16, {}, {{0, 0}}, 32, 32), InputError);            // count mismatch
  EXPECT_THROW(make_problem(frames, 2, 16, {}, {{0, 0}, {20, 0}}, 32, 32), InputError);   // outside
  EXPECT_THROW(make_problem(frames, 2, 16, {}, inside, 12, 32), InputError);              // object < frame
  std::vector<float> bad = frames;
  bad[300] = NAN;
  try {
    make_problem(bad, 2, 16, {}, inside, 32, 32);
    FAIL() << "NaN accepted";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "frame 1 pixel (2, 12) holds nan");
  }
  std::vector<std::uint8_t> mask(16 * 16, 0);
  mask[300 - 256] = 1;  // a masked NaN is no error
  EXPECT_NO_THROW(make_problem(bad, 2, 16, mask, inside, 32, 32));
}

}  // namespace
}  // namespace xpulse::ptycho
