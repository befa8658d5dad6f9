#pragma once
// Type 3 NUFFT in 3D (double): F(s_p) = sum_j c_j exp(sign i s_p . x_j) for arbitrary sources x_j and target
// frequencies s_p, e.g. a molecule's structure factor at a detector's reciprocal vectors.
//
// Algorithm (FINUFFT's type 3): the sources, centred on their bounding box and scaled by gamma per dimension,
// are spread with the ES kernel onto a periodic grid b of n cells (spacing h = 2 pi / n); then
//   sum_j c_j exp(i t.u_j) = [sum_l b_l exp(i t.l h)] / prod_d psihat(t_d h),   t = gamma s, u = x' / gamma,
// where the bracket is a type-2 NUFFT with b as its modes and psihat is the kernel's Fourier transform. The
// scale keeps the spread sources inside one period and |t_d h| <= pi / 2, so the bracket is free of aliasing.
// Sources are spread once; evaluate() then takes any number of target batches.
#include <array>
#include <complex>
#include <cstddef>
#include <memory>
#include <vector>

namespace xpulse::nufft {

class Type3Transform {
 public:
  // Targets will satisfy |s_d| <= max_frequency[d] (radians per unit of x). eps in [1e-14, 0.1].
  Type3Transform(std::array<double, 3> max_frequency, double eps, int sign = +1, unsigned threads = 1);
  ~Type3Transform();
  Type3Transform(Type3Transform&&) noexcept;
  Type3Transform& operator=(Type3Transform&&) noexcept;

  // n sources with strengths c (finite coordinates; InputError otherwise).
  void set_sources(std::size_t n, const double* x, const double* y, const double* z, const std::complex<double>* c);

  // F at m targets. InvalidArgument before set_sources; InputError for a target outside the bounds.
  void evaluate(std::size_t m, const double* sx, const double* sy, const double* sz, std::complex<double>* f);

  std::array<std::size_t, 3> grid() const;  // n per dimension

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xpulse::nufft
