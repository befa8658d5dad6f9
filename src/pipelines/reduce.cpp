#include "pipelines/reduce.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "io/parallel_reader.h"
#include "runtime/progress.h"

namespace xpulse::pipelines {
namespace {

constexpr std::size_t kBlockBytes = 64u << 20;  // float64 frames held per block

void write_output(const ReduceRequest& r, const reduce::FrameReduction& acc, const std::vector<std::size_t>& frame_dims,
                  const std::string& units, std::size_t first, bool complete) {
  io::AtomicOutput output(r.out);
  io::Writer w(output.partial_path());
  const reduce::ReduceOps& ops = r.ops;
  if (ops.sum) w.write<double>("/reduce/sum", acc.sum(), frame_dims, units);
  if (ops.mean) w.write<double>("/reduce/mean", acc.mean(), frame_dims, units);
  if (ops.max) w.write<double>("/reduce/max", acc.max(), frame_dims, units);
  if (ops.min) w.write<double>("/reduce/min", acc.min(), frame_dims, units);
  if (ops.stdev) {
    w.write<double>("/reduce/std", acc.stdev(), frame_dims, units);
    w.attribute("/reduce/std", "description", "population standard deviation over frames (ddof = 0)");
  }
  const std::vector<double>& totals = acc.frame_totals();
  w.write<double>("/reduce/frame_sum", totals, std::vector<std::size_t>{totals.size()}, units);
  w.attribute("/reduce/frame_sum", "description", "sum of every pixel of each frame (total intensity trace)");
  std::vector<double> index(totals.size());
  for (std::size_t i = 0; i < index.size(); ++i) index[i] = static_cast<double>(first + i);
  w.write<double>("/reduce/frame_index", index, std::vector<std::size_t>{index.size()});
  w.attribute("/reduce", "dataset", r.data_path);
  w.attribute("/reduce", "first_frame", static_cast<double>(first));
  w.attribute("/reduce", "frames", static_cast<double>(acc.frames()));
  w.attribute("/reduce", "complete", complete ? "true" : "false (file still being followed)");
  io::write_provenance(w, r.command_line, r.input);
  w.close();
  output.commit();
}

}  // namespace

void accumulate_frames(io::ParallelReader& reader, std::size_t first, std::size_t end, reduce::FrameReduction& acc,
                       runtime::ThreadPool& pool, const std::function<void(std::size_t)>& on_block) {
  const std::vector<std::size_t>& dims = reader.dims();
  const std::size_t pixels = acc.pixels();
  const std::size_t block_frames = std::max<std::size_t>(1, kBlockBytes / (pixels * sizeof(double)));
  std::vector<double> block;
  for (std::size_t next = first; next < end;) {
    const std::size_t k = std::min(block_frames, end - next);
    std::vector<std::size_t> offset(dims.size(), 0), count = dims;
    offset[0] = next;
    count[0] = k;
    block.resize(k * pixels);
    reader.read<double>(offset, count, block.data());
    acc.add(block.data(), k, pool);
    next += k;
    if (on_block) on_block(k);
  }
}

ReduceSummary reduce_frames_file(const ReduceRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  ReduceRequest r = request;
  if (!r.ops.any()) r.ops = reduce::ReduceOps{true, true, true, true, true};
  if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
  if (r.end_frame != 0 && r.end_frame <= r.first_frame) {
    throw InvalidArgument(fmt::format("--frames {}:{} is empty", r.first_frame, r.end_frame));
  }
  if (r.follow && !(r.update_seconds > 0.0)) throw InvalidArgument("--update must be > 0 seconds");

  const io::ReaderOptions reader_options{r.threads, r.allow_missing};
  std::unique_ptr<io::DatasetFollower> follower;
  std::unique_ptr<io::ParallelReader> plain;
  if (r.follow) {
    follower = std::make_unique<io::DatasetFollower>(r.input, r.data_path, reader_options, r.follow_options);
  } else {
    plain = std::make_unique<io::ParallelReader>(r.input, r.data_path, reader_options);
  }
  io::ParallelReader& reader = follower ? follower->reader() : *plain;
  const std::vector<std::size_t> dims = reader.dims();
  if (dims.size() < 2) {
    throw InputError(fmt::format("dataset '{}' has rank {}; expected [frame, ...] with at least 2 dimensions",
                                 r.data_path, dims.size()));
  }
  const std::vector<std::size_t> frame_dims(dims.begin() + 1, dims.end());
  std::size_t pixels = 1;
  for (std::size_t d : frame_dims) pixels *= d;
  if (pixels == 0) throw InputError(fmt::format("dataset '{}' has empty frames", r.data_path));
  if (!r.follow) {
    if (dims[0] == 0) throw InputError(fmt::format("dataset '{}' has no frames", r.data_path));
    if (r.first_frame >= dims[0] || r.end_frame > dims[0]) {
      throw InputError(fmt::format("--frames {}:{} is outside the {} frames of '{}'", r.first_frame,
                                   r.end_frame ? std::to_string(r.end_frame) : "", dims[0], r.data_path));
    }
  }
  std::string units;
  {
    io::Reader meta(r.input, r.follow ? (follower->swmr() ? io::OpenMode::swmr : io::OpenMode::unlocked)
                                      : io::OpenMode::normal);
    units = meta.string_attribute(r.data_path, "units");
  }
  if (units.empty()) units = "counts";
  // Checked now so a bad output path fails before the work; each write replaces the file atomically.
  { io::AtomicOutput probe(r.out); }

  reduce::FrameReduction acc(pixels);
  runtime::ThreadPool pool(r.threads);
  std::size_t next = r.first_frame;
  ReduceSummary s;
  auto last_write = std::chrono::steady_clock::now();
  auto consume = [&](std::size_t until) {
    accumulate_frames(reader, next, std::max(next, until), acc, pool);
    next = std::max(next, until);
  };

  if (!r.follow) {
    const std::size_t end = r.end_frame ? r.end_frame : dims[0];
    runtime::Progress progress("reduce", end - next, "frames", "frames", r.progress);
    accumulate_frames(reader, next, end, acc, pool, [&](std::size_t k) { progress.advance(k, k); });
    next = end;
    progress.finish();
    write_output(r, acc, frame_dims, units, r.first_frame, true);
    s.updates = 1;
  } else {
    while (true) {
      const io::DatasetFollower::Frames f = follower->wait_for_more(next);
      std::size_t until = f.available;
      if (r.end_frame) until = std::min(until, r.end_frame);
      consume(until);
      const bool done = f.finished || (r.end_frame && next >= r.end_frame);
      const auto now = std::chrono::steady_clock::now();
      if (done && acc.frames() == 0) {
        throw InputError(
            fmt::format("dataset '{}' in '{}' received no frames before the idle timeout", r.data_path, r.input));
      }
      const bool due = std::chrono::duration<double>(now - last_write).count() >= r.update_seconds;
      if (acc.frames() > 0 && (done || due)) {
        write_output(r, acc, frame_dims, units, r.first_frame, done);
        ++s.updates;
        last_write = now;
        if (r.progress) fmt::print(stderr, "reduce: {} frames reduced, output updated\n", acc.frames());
      }
      if (done) break;
    }
    s.swmr = follower->swmr();
  }
  s.out = r.out;
  s.frames = acc.frames();
  s.pixels = pixels;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.bytes_per_second = s.seconds > 0 ? static_cast<double>(reader.stats().bytes_read) / s.seconds : 0.0;
  s.data_layout = reader.describe();
  return s;
}

}  // namespace xpulse::pipelines
