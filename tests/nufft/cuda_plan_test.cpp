// The CUDA NUFFT: its per-point kernels run on the host against the CPU spreader (the CPU twin, always run),
// the whole plan against the CPU plan within 10 eps (skipped with the reason when no CUDA device exists), and
// the error a machine without a device gets.
#include "nufft/cuda_plan.h"

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "nufft/plan.h"
#include "nufft/plan_geometry.h"
#include "nufft/point_kernel.h"
#include "nufft/spreader.h"
#include "runtime/devices.h"
#include "runtime/thread_pool.h"

namespace xpulse::nufft {
namespace {

constexpr double kPi = std::numbers::pi;

template <class T>
struct Points {
  std::vector<T> x[3];
  std::vector<std::complex<T>> c;
};

// Random points in [-pi, pi) with the edge cases -pi, just below pi and one folded from [pi, 3 pi).
template <class T>
Points<T> random_points(int dims, std::size_t n, unsigned seed) {
  Points<T> p;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-kPi, kPi), v(-1.0, 1.0);
  for (int d = 0; d < dims; ++d) {
    p.x[d].resize(n);
    for (T& x : p.x[d]) x = static_cast<T>(u(rng));
    p.x[d][0] = static_cast<T>(-kPi);
    p.x[d][1] = std::nextafter(static_cast<T>(kPi), T(0));
    p.x[d][2] = static_cast<T>(2.5 * kPi);
  }
  p.c.resize(n);
  for (auto& c : p.c) c = {static_cast<T>(v(rng)), static_cast<T>(v(rng))};
  return p;
}

template <class T>
double relative_l2(const std::vector<std::complex<T>>& got, const std::vector<std::complex<T>>& want) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    num += std::norm(std::complex<double>(got[i]) - std::complex<double>(want[i]));
    den += std::norm(std::complex<double>(want[i]));
  }
  return std::sqrt(num / den);
}

const std::vector<std::vector<std::size_t>> kModes = {{37}, {20, 17}, {16, 15, 14}, {9, 8, 27}, {27, 27, 27}};

// Spreading and interpolation by point_kernel.h, one point after another as the GPU threads do them, give the
// CPU spreader's fine grid and values (which evaluates the kernel by piecewise polynomials).
template <class T>
void check_point_kernels(double eps, double tolerance) {
  runtime::ThreadPool pool(2);
  for (const auto& modes : kModes) {
    const int dims = static_cast<int>(modes.size());
    const PlanGeometry g = make_plan_geometry<T>(1, modes, eps, {});
    const Points<T> p = random_points<T>(dims, 500, 11);
    const std::size_t n = p.c.size();
    const auto mapped = mapped_coordinates<T>(g, n, p.x[0].data(), p.x[1].data(), p.x[2].data());
    Spreader<T> spreader(g.nf, g.width, g.kernel);
    spreader.sort(n, mapped.data(), pool);
    SpreadShape shape{};
    for (int d = 0; d < 3; ++d) shape.nf[d] = static_cast<int>(g.nf[d]), shape.width[d] = g.width[d];
    shape.beta = g.kernel.beta;
    auto fine = [&](std::size_t j, double u[3]) {
      for (int d = 0; d < 3; ++d) {
        u[d] = mapped[d] ? fine_coordinate(static_cast<double>(mapped[d][j]), static_cast<double>(g.nf[d])) : 0.0;
      }
    };

    std::vector<std::complex<T>> want(g.grid_size()), got(g.grid_size(), std::complex<T>(0));
    spreader.spread(p.c.data(), want.data(), pool);
    T* grid = reinterpret_cast<T*>(got.data());
    for (std::size_t j = 0; j < n; ++j) {
      double u[3];
      fine(j, u);
      spread_point<T>(shape, u, p.c[j].real(), p.c[j].imag(), [grid](long long cell, T re, T im) {
        grid[2 * cell] += re;
        grid[2 * cell + 1] += im;
      });
    }
    EXPECT_LE(relative_l2(got, want), tolerance) << "spread, " << dims << "D";

    std::vector<std::complex<T>> values_want(n), values_got(n);
    spreader.interpolate(want.data(), values_want.data(), pool);
    for (std::size_t j = 0; j < n; ++j) {
      double u[3];
      fine(j, u);
      T re, im;
      interpolate_point<T>(shape, u, grid, re, im);
      values_got[j] = {re, im};
    }
    EXPECT_LE(relative_l2(values_got, values_want), tolerance) << "interpolate, " << dims << "D";
  }
}

// The two kernel evaluations agree far below the requested accuracy (an index or fold error would be O(1)).
TEST(NufftPointKernels, MatchTheCpuSpreaderInDouble) {
  for (double eps : {1e-3, 1e-6, 1e-9, 1e-12}) check_point_kernels<double>(eps, eps / 10);
}

TEST(NufftPointKernels, MatchTheCpuSpreaderInFloat) {
  for (double eps : {1e-3, 1e-5}) check_point_kernels<float>(eps, eps / 10);
}

template <class T>
std::vector<std::complex<T>> run_plan(bool gpu, int type, const std::vector<std::size_t>& modes, double eps,
                                      int sign, const Points<T>& p, const std::vector<std::complex<T>>& f_in) {
  const std::size_t n = p.c.size();
  std::vector<std::complex<T>> c(p.c), f(f_in);
  const T* y = modes.size() > 1 ? p.x[1].data() : nullptr;
  const T* z = modes.size() > 2 ? p.x[2].data() : nullptr;
  if (gpu) {
    CudaPlan<T> plan(type, modes, eps, {sign, 1});
    plan.set_points(n, p.x[0].data(), y, z);
    plan.execute(c.data(), f.data());
    plan.execute(c.data(), f.data());  // a second execute on the same points gives the same answer
  } else {
    Plan<T> plan(type, modes, eps, {sign, 2});
    plan.set_points(n, p.x[0].data(), y, z);
    plan.execute(c.data(), f.data());
  }
  return type == 1 ? f : c;
}

template <class T>
void check_gpu_against_cpu(const std::vector<double>& tolerances) {
  for (const auto& modes : kModes) {
    const int dims = static_cast<int>(modes.size());
    const Points<T> p = random_points<T>(dims, 3000, 5);
    std::size_t total = 1;
    for (std::size_t m : modes) total *= m;
    std::vector<std::complex<T>> f(total);
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> v(-1.0, 1.0);
    for (auto& x : f) x = {static_cast<T>(v(rng)), static_cast<T>(v(rng))};
    for (double eps : tolerances) {
      for (int type : {1, 2}) {
        for (int sign : {+1, -1}) {
          const double e = relative_l2(run_plan<T>(true, type, modes, eps, sign, p, f),
                                       run_plan<T>(false, type, modes, eps, sign, p, f));
          EXPECT_LE(e, 10 * eps) << "type " << type << ", " << dims << "D, sign " << sign << ", eps " << eps;
        }
      }
    }
  }
}

TEST(CudaNufft, MatchesTheCpuPlanInDouble) {
  if (runtime::cuda_device_count() == 0) GTEST_SKIP() << runtime::cuda_unavailable_reason();
  check_gpu_against_cpu<double>({1e-4, 1e-6, 1e-9, 1e-12});
}

TEST(CudaNufft, MatchesTheCpuPlanInFloat) {
  if (runtime::cuda_device_count() == 0) GTEST_SKIP() << runtime::cuda_unavailable_reason();
  check_gpu_against_cpu<float>({1e-3, 1e-5});
}

TEST(CudaNufft, BadInputGivesTheCpuPlansErrors) {
  if (runtime::cuda_device_count() == 0) GTEST_SKIP() << runtime::cuda_unavailable_reason();
  const std::vector<std::size_t> zero = {8, 0, 8}, ok = {8, 8};
  EXPECT_THROW(CudaPlan<double>(1, zero, 1e-6), InvalidArgument);
  EXPECT_THROW(CudaPlan<float>(1, ok, 1e-8), InvalidArgument);
  CudaPlan<double> plan(2, ok, 1e-6);
  std::vector<std::complex<double>> c(3), f(64);
  EXPECT_THROW(plan.execute(c.data(), f.data()), InvalidArgument);
  std::vector<double> x = {0.0, 1.0, 3 * kPi}, y = {0.0, 0.0, 0.0};
  try {
    plan.set_points(3, x.data(), y.data());
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "non-uniform point 2 has coordinate 9.42477796076938 outside [-3 pi, 3 pi)");
  }
}

TEST(CudaNufft, WithoutADeviceThePlanSaysWhy) {
  if (runtime::cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  const std::vector<std::size_t> modes = {8, 8, 8};
  try {
    CudaPlan<float> plan(1, modes, 1e-5);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.what(), runtime::cuda_unavailable_reason());
  }
}

}  // namespace
}  // namespace xpulse::nufft
