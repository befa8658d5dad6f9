#include "pipelines/ptycho_follow.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/dataset_follower.h"
#include "pipelines/ptycho_input.h"
#include "pipelines/ptycho_output.h"
#include "ptycho/probe_guess.h"
#include "runtime/world.h"

namespace xpulse::pipelines {
namespace {

using Clock = std::chrono::steady_clock;

// How many translations the file holds, re-read at every call the way the follower re-reads the frames (SWMR
// refresh, or re-open), so that only frames whose translations are written too are used (a writer may extend the
// two datasets one after the other).
class TranslationCount {
 public:
  TranslationCount(std::string path, io::OpenMode mode) : path_(std::move(path)), mode_(mode) {}
  std::size_t operator()() {
    if (!reader_) {
      if (!io::Reader(path_, mode_).exists(kCxiTranslation)) return 0;
      reader_ = std::make_unique<io::ParallelReader>(path_, kCxiTranslation, io::ReaderOptions{1, false, mode_});
    } else {
      reader_->refresh();
    }
    return reader_->dims().size() == 2 ? reader_->dims()[0] : 0;
  }

 private:
  std::string path_;
  io::OpenMode mode_;
  std::unique_ptr<io::ParallelReader> reader_;
};

// The object carried over to a grid that grew: pixel (y, x) of the old grid is (y + dy, x + dx) of the new one;
// new pixels start at 1 (the cold start's value).
std::vector<ptycho::cfloat> regrid(const std::vector<ptycho::cfloat>& old, std::size_t old_ny, std::size_t old_nx,
                                   std::size_t ny, std::size_t nx, int dy, int dx) {
  std::vector<ptycho::cfloat> grid(ny * nx, ptycho::cfloat(1, 0));
  for (std::size_t y = 0; y < old_ny; ++y) {
    const long to_y = static_cast<long>(y) + dy;
    if (to_y < 0 || to_y >= static_cast<long>(ny)) continue;
    for (std::size_t x = 0; x < old_nx; ++x) {
      const long to_x = static_cast<long>(x) + dx;
      if (to_x < 0 || to_x >= static_cast<long>(nx)) continue;
      grid[static_cast<std::size_t>(to_y) * nx + static_cast<std::size_t>(to_x)] = old[y * old_nx + x];
    }
  }
  return grid;
}

// Removes the previews from the output's name unless the run ends well (nothing left behind on failure).
class PreviewGuard {
 public:
  explicit PreviewGuard(std::string path) : path_(std::move(path)) {}
  ~PreviewGuard() {
    if (armed_) std::remove(path_.c_str());
  }
  void arm() { armed_ = true; }
  void release() { armed_ = false; }

 private:
  std::string path_;
  bool armed_ = false;
};

struct Live {
  ptycho::PtychoState state;
  PtychoInput input;  // of the last preview (its positions and grid)
  std::size_t frames = 0;
  int previews = 0;
};

// Grows the live state to the frames of `input`, iterates for `seconds` and writes a preview.
void preview(const PtychoReconstructRequest& r, PtychoInput input, Live& live, runtime::ThreadPool& pool) {
  const ptycho::PtychoProblem problem = ptycho::make_problem(input.intensities, input.count, input.n, input.mask,
                                                             input.positions, input.object_ny, input.object_nx);
  ptycho::CourseOptions course = r.course;
  course.iterations = 1 << 30;  // stopped by the clock
  course.average = 0;
  if (live.frames == 0) {
    live.state.object.assign(input.object_ny * input.object_nx, ptycho::cfloat(1, 0));
    live.state.probe = r.probe.empty() ? ptycho::guess_probe(problem, input.positions, 0, pool).probe
                                       : read_ptycho_probe(r.probe, input.n);
  } else {
    // Frame 0 is where it was in the world: the grids differ by the change of its position.
    const int dy = input.positions[0].row - live.input.positions[0].row;
    const int dx = input.positions[0].col - live.input.positions[0].col;
    live.state.object = regrid(live.state.object, live.input.object_ny, live.input.object_nx, input.object_ny,
                               input.object_nx, dy, dx);
    course.warm_up = 0, course.probe_start = 0;  // the probe has been found already
  }
  ptycho::EngineOptions options = r.options;
  options.cuda_device = -1;
  ptycho::Course steps(problem, options, course, pool);
  const auto start = Clock::now();
  do {
    steps.iterate(live.state);
  } while (std::chrono::duration<double>(Clock::now() - start).count() < r.update_seconds);
  const ptycho::ModelFit fit = ptycho::model_fit(problem, live.state, options, pool);
  io::AtomicOutput output(r.out);
  PtychoResult result{input, live.state, fit, "live preview"};
  result.preview_frames = input.frames;
  write_ptycho_result(output.partial_path(), r, result);
  output.commit();
  ++live.previews;
  spdlog::info("preview {}: {} frames, object {}x{}, {} iterations so far, model cost {:.4g} ({:.2f} x Poisson); "
               "wrote {}", live.previews, input.frames, input.object_ny, input.object_nx, live.state.history.size(),
               fit.cost, fit.expected > 0 ? fit.cost / fit.expected : 0.0, r.out);
  live.frames = input.frames;
  input.intensities.clear();
  live.input = std::move(input);
}

}  // namespace

PtychoReconstructSummary ptycho_follow_file(const PtychoReconstructRequest& r) {
  if (runtime::World::get().distributed()) {
    throw InvalidArgument("--follow reconstructs as one process; run it without mpirun");
  }
  if (!(r.update_seconds > 0)) {
    throw InvalidArgument(fmt::format("--update must be > 0 seconds, got {}", r.update_seconds));
  }
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  r.follow_options.validate();
  r.course.validate();
  r.options.validate();
  io::DatasetFollower follower(r.input, kCxiData, io::ReaderOptions{r.threads, false}, r.follow_options);
  const io::OpenMode mode = follower.swmr() ? io::OpenMode::swmr : io::OpenMode::unlocked;
  runtime::ThreadPool pool(r.threads);
  PreviewGuard guard(r.out);
  TranslationCount translations(r.input, mode);
  Live live;
  for (;;) {
    const io::DatasetFollower::Frames f = follower.wait_for_more(live.frames);
    if (f.finished) break;
    const std::size_t usable = std::min(f.available, translations());
    if (usable <= live.frames) {
      std::this_thread::sleep_for(std::chrono::duration<double>(r.follow_options.poll_seconds));
      continue;
    }
    guard.arm();
    preview(r, read_ptycho_input(r.input, 0, 1, usable, mode), live, pool);
  }
  spdlog::info("the writer has gone idle after {} previews; reconstructing the complete scan from the cold start",
               live.previews);
  PtychoReconstructRequest offline = r;
  offline.follow = false;
  PtychoReconstructSummary s = ptycho_reconstruct_file(offline);
  s.previews = live.previews;
  guard.release();
  return s;
}

}  // namespace xpulse::pipelines
