#pragma once
// A ptychographic data set prepared for reconstruction (REFERENCE.md section 4): the measured far-field
// intensities of each scan position, reordered so that the zero frequency is at index 0 (the FFT's order), the
// detector mask, and where each frame's n x n window lies in the object.
//
// Forward model: exit wave psi_j = P * O[window_j], far field Psi_j = F psi_j (unitary), intensity |Psi_j|^2.
// Windows are whole object pixels (sub-pixel positions are rounded by the caller).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "ptycho/frame_fft.h"
#include "runtime/thread_pool.h"

namespace xpulse::ptycho {

struct Position {
  int row = 0, col = 0;  // of the window's first pixel in the object
};

// Where the frames of a problem too large for memory come from (larger-than-memory runs): implemented by the
// pipelines over a file. Algorithms call it through FrameBlock only.
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Frames [first, first + count) of the problem (its own numbering), n x n each in detector order, as stored.
  virtual void load(std::size_t first, std::size_t count, float* out) = 0;
};

struct PtychoProblem {
  std::size_t n = 0;                       // frame side
  std::size_t frames = 0;
  std::size_t object_ny = 0, object_nx = 0;
  std::vector<Position> positions;         // [frames]
  std::vector<float> intensity;            // [frames][n * n], FFT order, negative values clipped to 0
  std::vector<float> amplitude;            // sqrt(intensity)
  std::vector<float> weight;               // [n * n], FFT order: 1 measured, 0 masked
  double total_intensity = 0;              // over measured pixels
  // Set when the frames are not held: intensity and amplitude are empty and FrameBlock loads them from here.
  std::shared_ptr<FrameSource> source;
  bool streamed() const { return source != nullptr; }
};

// The measured data of frames [first, first + count): views into the problem's arrays, or (streamed) loaded from
// its source and prepared exactly as make_problem prepares them, so both give the same bits. InputError for a
// non-finite measured value, naming the frame.
class FrameBlock {
 public:
  FrameBlock(const PtychoProblem& problem, std::size_t first, std::size_t count);
  const float* intensity(std::size_t frame) const;  // frame: the problem's numbering, in [first, first + count)
  const float* amplitude(std::size_t frame) const;

 private:
  const PtychoProblem& problem_;
  std::size_t first_;
  std::vector<float> intensity_, amplitude_;  // streamed only
};

// A problem whose frames stay in `source` (larger than memory): checks them and sums their intensity in one pass
// of `block` frames at a time. Otherwise as make_problem.
PtychoProblem make_streamed_problem(std::shared_ptr<FrameSource> source, std::size_t frames, std::size_t n,
                                    std::span<const std::uint8_t> mask, std::vector<Position> positions,
                                    std::size_t object_ny, std::size_t object_nx, std::size_t block = 64);

// intensities: [frames][n][n] in detector order (zero frequency at (n/2, n/2)); mask: [n][n] nonzero = bad, or
// empty. InputError for non-finite values, a window outside the object, or sizes that do not fit.
PtychoProblem make_problem(std::span<const float> intensities, std::size_t frames, std::size_t n,
                           std::span<const std::uint8_t> mask, std::vector<Position> positions,
                           std::size_t object_ny, std::size_t object_nx);

// Detector order (zero frequency at n/2) to FFT order (at 0) and back, for n x n frames.
void detector_to_fft_order(const float* in, float* out, std::size_t n);
void fft_to_detector_order(const float* in, float* out, std::size_t n);

// psi = P * O[window] for one frame.
void exit_wave(const cfloat* object, std::size_t object_nx, const cfloat* probe, std::size_t n, Position p,
               cfloat* psi);

// Sums over frames onto the object (and probe) grids in a fixed order whatever the thread count: the grid's rows
// are cut into bands, each band adds the frames in index order. frames: [count][n * n]. The sums are kept in
// double, so that sums split over MPI ranks and added afterwards round to the same floats as one process's.
using cdouble = std::complex<double>;
//   object_sum[window_j] += conj(P) * frame_j   (and illumination[window_j] += |P|^2 when not null)
void add_to_object(const cfloat* frames, std::size_t first, std::size_t count, const PtychoProblem& problem,
                   const cfloat* probe, cdouble* object_sum, double* illumination, runtime::ThreadPool& pool);
//   probe_sum += conj(O[window_j]) * frame_j   (and object_power += |O[window_j]|^2 when not null)
void add_to_probe(const cfloat* frames, std::size_t first, std::size_t count, const PtychoProblem& problem,
                  const cfloat* object, cdouble* probe_sum, double* object_power, runtime::ThreadPool& pool);

// illumination[window_j] += |P|^2 over every frame (object grid), and power += |O[window_j]|^2 (probe grid);
// same fixed order.
void add_illumination(const PtychoProblem& problem, const cfloat* probe, double* illumination,
                      runtime::ThreadPool& pool);
void add_object_power(const PtychoProblem& problem, const cfloat* object, double* power, runtime::ThreadPool& pool);

}  // namespace xpulse::ptycho
