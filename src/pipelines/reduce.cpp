#include "pipelines/reduce.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "io/parallel_reader.h"
#include "io/row_parts.h"
#include "pipelines/job_identity.h"
#include "pipelines/jungfrau_input.h"
#include "runtime/journal.h"
#include "runtime/progress.h"
#include "runtime/work_queue.h"
#include "runtime/world.h"

namespace xpulse::pipelines {
namespace {

constexpr std::size_t kBlockBytes = 64u << 20;  // float64 frames held per block

// Per-pixel results of some rows, as written.
struct PixelMaps {
  std::vector<double> sum, mean, max, min, stdev;
};

// The maps the request asks for (the others stay empty).
PixelMaps maps_of(const reduce::FrameReduction& acc, const reduce::ReduceOps& ops) {
  PixelMaps m;
  if (ops.sum) m.sum = acc.sum();
  if (ops.mean) m.mean = acc.mean();
  if (ops.max) m.max = acc.max();
  if (ops.min) m.min = acc.min();
  if (ops.stdev) m.stdev = acc.stdev();
  return m;
}

// Writes the reduce output to `path`: per-pixel maps of shape pixel_dims (or virtual datasets over `parts`) and,
// when totals is given, the per-frame totals.
void write_output(const ReduceRequest& r, const std::string& path, const PixelMaps& maps,
                  const std::vector<std::size_t>& pixel_dims, const std::string& units, std::size_t first,
                  std::size_t frames, const std::vector<double>* totals, bool complete,
                  const std::vector<io::RowPart>* parts = nullptr) {
  io::Writer file(path);
  io::RowPartsWriter w(file, parts);
  const reduce::ReduceOps& ops = r.ops;
  if (ops.sum) w.write<double>("/reduce/sum", maps.sum, pixel_dims, units);
  if (ops.mean) w.write<double>("/reduce/mean", maps.mean, pixel_dims, units);
  if (ops.max) w.write<double>("/reduce/max", maps.max, pixel_dims, units);
  if (ops.min) w.write<double>("/reduce/min", maps.min, pixel_dims, units);
  if (ops.stdev) {
    w.write<double>("/reduce/std", maps.stdev, pixel_dims, units);
    file.attribute("/reduce/std", "description", "population standard deviation over frames (ddof = 0)");
  }
  if (totals != nullptr) {
    file.write<double>("/reduce/frame_sum", *totals, std::vector<std::size_t>{totals->size()}, units);
    file.attribute("/reduce/frame_sum", "description", "sum of every pixel of each frame (total intensity trace)");
    std::vector<double> index(totals->size());
    for (std::size_t i = 0; i < index.size(); ++i) index[i] = static_cast<double>(first + i);
    file.write<double>("/reduce/frame_index", index, std::vector<std::size_t>{index.size()});
  }
  file.attribute("/reduce", "dataset", r.data_path);
  file.attribute("/reduce", "first_frame", static_cast<double>(first));
  file.attribute("/reduce", "frames", static_cast<double>(frames));
  file.attribute("/reduce", "complete", complete ? "true" : "false (file still being followed)");
  io::write_provenance(file, r.command_line, r.input);
  file.close();
}

void write_atomically(const ReduceRequest& r, const PixelMaps& maps, const std::vector<std::size_t>& pixel_dims,
                      const std::string& units, std::size_t first, const std::vector<double>& totals, bool complete,
                      const std::vector<io::RowPart>* parts = nullptr) {
  io::AtomicOutput output(r.out);
  write_output(r, output.partial_path(), maps, pixel_dims, units, first, totals.size(), &totals, complete, parts);
  output.commit();
}

std::string reduce_identity(const ReduceRequest& r, std::size_t first, std::size_t end, int ranks) {
  nlohmann::json j = pipelines::job_identity("reduce", r.input);
  j["data"] = r.data_path;
  j["frames"] = {first, end};
  j["ranks"] = ranks;  // each rank's checkpoint holds its own rows
  j["ops"] = r.ops.names();  // a checkpoint holds only the statistics asked for
  j["correct"] = r.correct;
  return j.dump();
}

void check_frame_dims(const ReduceRequest& r, const std::vector<std::size_t>& dims) {
  if (dims.size() < 2) {
    throw InputError(fmt::format("dataset '{}' has rank {}; expected [frame, ...] with at least 2 dimensions",
                                 r.data_path, dims.size()));
  }
  std::size_t pixels = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) pixels *= dims[i];
  if (pixels == 0) throw InputError(fmt::format("dataset '{}' has empty frames", r.data_path));
}

// Follows a file that is still being written (single process), rewriting the output as frames arrive.
ReduceSummary follow_file(const ReduceRequest& r) {
  const auto start = std::chrono::steady_clock::now();
  io::DatasetFollower follower(r.input, r.data_path,
                               io::ReaderOptions{r.threads, r.allow_missing, io::OpenMode::normal,
                                                 input_correction(r.correct, r.threads)},
                               r.follow_options);
  io::ParallelReader& reader = follower.reader();
  const std::vector<std::size_t> dims = reader.dims();
  check_frame_dims(r, dims);
  std::string units;
  {
    io::Reader meta(r.input, follower.swmr() ? io::OpenMode::swmr : io::OpenMode::unlocked);
    units = meta.string_attribute(r.data_path, "units");
  }
  if (units.empty()) units = "counts";
  if (!r.correct.empty()) units = input_correction(r.correct, 1)->units();
  // Checked now so a bad output path fails before the work; each write replaces the file atomically.
  { io::AtomicOutput probe(r.out); }
  const std::vector<std::size_t> frame_dims(dims.begin() + 1, dims.end());
  std::size_t pixels = 1;
  for (std::size_t d : frame_dims) pixels *= d;
  reduce::FrameReduction acc(pixels, pixels / frame_dims[0], r.ops);
  runtime::ThreadPool pool(r.threads);
  std::size_t next = r.first_frame;
  ReduceSummary s;
  auto last_write = std::chrono::steady_clock::now();
  while (true) {
    const io::DatasetFollower::Frames f = follower.wait_for_more(next);
    std::size_t until = f.available;
    if (r.end_frame) until = std::min(until, r.end_frame);
    accumulate_frames(reader, next, std::max(next, until), acc, pool);
    next = std::max(next, until);
    const bool done = f.finished || (r.end_frame && next >= r.end_frame);
    const auto now = std::chrono::steady_clock::now();
    if (done && acc.frames() == 0) {
      throw InputError(
          fmt::format("dataset '{}' in '{}' received no frames before the idle timeout", r.data_path, r.input));
    }
    const bool due = std::chrono::duration<double>(now - last_write).count() >= r.update_seconds;
    if (acc.frames() > 0 && (done || due)) {
      write_atomically(r, maps_of(acc, r.ops), frame_dims, units, r.first_frame, acc.frame_totals(), done);
      ++s.updates;
      last_write = now;
      if (r.progress) fmt::print(stderr, "reduce: {} frames reduced, output updated\n", acc.frames());
    }
    if (done) break;
  }
  s.swmr = follower.swmr();
  s.out = r.out;
  s.frames = acc.frames();
  s.pixels = pixels;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.bytes_per_second = s.seconds > 0 ? static_cast<double>(reader.stats().bytes_read) / s.seconds : 0.0;
  s.data_layout = reader.describe();
  s.distribution = "1 process";
  return s;
}

}  // namespace

void accumulate_frames(io::ParallelReader& reader, std::size_t first, std::size_t end, reduce::FrameReduction& acc,
                       runtime::ThreadPool& pool, const std::function<void(std::size_t)>& on_block, std::size_t row0,
                       std::size_t rows) {
  const std::vector<std::size_t>& dims = reader.dims();
  const std::size_t pixels = acc.pixels();
  if (pixels == 0) return;
  // Types that float holds exactly are read as float: the same sums, half the memory traffic.
  const io::DType type = reader.dtype();
  const bool as_float = type == io::DType::u8 || type == io::DType::i8 || type == io::DType::u16 ||
                        type == io::DType::i16 || type == io::DType::f32;
  const std::size_t block_frames = std::max<std::size_t>(1, kBlockBytes / (pixels * sizeof(double)));
  std::vector<double> block;
  std::vector<float> float_block;
  for (std::size_t next = first; next < end;) {
    const std::size_t k = std::min(block_frames, end - next);
    std::vector<std::size_t> offset(dims.size(), 0), count = dims;
    offset[0] = next;
    count[0] = k;
    if (rows > 0) {
      offset[1] = row0;
      count[1] = rows;
    }
    if (as_float) {
      float_block.resize(k * pixels);
      reader.read<float>(offset, count, float_block.data());
      acc.add(float_block.data(), k, pool);
    } else {
      block.resize(k * pixels);
      reader.read<double>(offset, count, block.data());
      acc.add(block.data(), k, pool);
    }
    next += k;
    if (on_block) on_block(k);
  }
}

namespace {

ReduceSummary reduce_frames_file_unguarded(const ReduceRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  runtime::World& world = runtime::World::get();
  ReduceRequest r = request;
  if (!r.ops.any()) r.ops = reduce::ReduceOps{true, true, true, true, true};

  std::unique_ptr<io::ParallelReader> reader;
  std::vector<std::size_t> dims;
  std::string units;
  runtime::run_phase(world, [&] {
    if (r.threads < 1) throw InvalidArgument("--threads must be >= 1");
    if (r.end_frame != 0 && r.end_frame <= r.first_frame) {
      throw InvalidArgument(fmt::format("--frames {}:{} is empty", r.first_frame, r.end_frame));
    }
    if (r.follow && !(r.update_seconds > 0.0)) throw InvalidArgument("--update must be > 0 seconds");
    if (!(r.checkpoint_seconds > 0.0)) throw InvalidArgument("--checkpoint must be > 0 seconds");
    if (r.follow && world.distributed()) throw InvalidArgument("--follow runs in one process, not under MPI");
    if (r.follow && r.resume) throw InvalidArgument("--resume does not apply to --follow");
    const std::string stack = stack_or_run_map(r.input, r.run);  // a European XFEL run: its map
    if (stack != r.input) {
      if (r.follow) throw InvalidArgument("--follow reads a file being written, not a run directory");
      r.input = stack, r.data_path = kRunData;
    }
    if (r.follow) return;  // the follower opens the file itself (follow_file)
    reader = std::make_unique<io::ParallelReader>(
        r.input, r.data_path,
        io::ReaderOptions{r.threads, r.allow_missing, io::OpenMode::normal, input_correction(r.correct, r.threads)});
    dims = reader->dims();
    check_frame_dims(r, dims);
    if (dims[0] == 0) throw InputError(fmt::format("dataset '{}' has no frames", r.data_path));
    if (r.first_frame >= dims[0] || r.end_frame > dims[0]) {
      throw InputError(fmt::format("--frames {}:{} is outside the {} frames of '{}'", r.first_frame,
                                   r.end_frame ? std::to_string(r.end_frame) : "", dims[0], r.data_path));
    }
    units = io::Reader(r.input).string_attribute(r.data_path, "units");
    if (units.empty()) units = "counts";
    if (!r.correct.empty()) units = input_correction(r.correct, 1)->units();
    // Checked now so a bad output path fails before the work; each write replaces the file atomically.
    if (world.is_root()) io::AtomicOutput probe(r.out);
  });
  if (r.follow) return follow_file(r);

  const std::vector<std::size_t> frame_dims(dims.begin() + 1, dims.end());
  const std::size_t rows = frame_dims[0];
  std::size_t row_pixels = 1;
  for (std::size_t i = 1; i < frame_dims.size(); ++i) row_pixels *= frame_dims[i];
  const std::size_t first = r.first_frame, end = r.end_frame ? r.end_frame : dims[0];
  // This rank's static share: whole pixel blocks, so frame totals combine to the single-process bits.
  const std::size_t block_rows = reduce::FrameReduction::block_rows(row_pixels);
  const std::size_t blocks = (rows + block_rows - 1) / block_rows;
  std::vector<std::size_t> all_blocks(blocks);
  for (std::size_t b = 0; b < blocks; ++b) all_blocks[b] = b;
  const std::vector<std::size_t> share = runtime::static_share(all_blocks, world.rank(), world.size());
  const std::size_t row0 = share.empty() ? 0 : share.front() * block_rows;
  const std::size_t row1 = share.empty() ? 0 : std::min(rows, (share.back() + 1) * block_rows);
  reduce::FrameReduction acc((row1 - row0) * row_pixels, row_pixels, r.ops);

  // Checkpoints of earlier runs.
  const std::string identity = reduce_identity(r, first, end, world.size());
  const std::unique_ptr<runtime::Journal> journal = runtime::Journal::open(world, r.out, identity, r.resume);
  runtime::run_phase(world, [&] {
    for (const runtime::Journal::Entry& e : journal->entries()) {
      if (e.file_rank != world.rank()) continue;
      const std::vector<std::byte> payload = journal->load(e);
      runtime::PayloadReader in(payload);
      acc.load(in);
    }
  });
  std::size_t next = first + acc.frames();
  ReduceSummary s;
  s.resumed_frames = acc.frames();
  if (s.resumed_frames > 0) spdlog::info("resuming: {} frames were reduced by an earlier run", s.resumed_frames);

  runtime::ThreadPool pool(r.threads);
  runtime::run_phase(world, [&] {
    runtime::Progress progress("reduce", end - next, "frames", "frames", r.progress && world.is_root());
    auto last_checkpoint = std::chrono::steady_clock::now();
    accumulate_frames(
        *reader, next, end, acc, pool,
        [&](std::size_t k) {
          progress.advance(k, k);
          next += k;
          if (world.failure_announced()) throw runtime::StoppedByOtherRank();
          const auto now = std::chrono::steady_clock::now();
          if (next < end && std::chrono::duration<double>(now - last_checkpoint).count() >= r.checkpoint_seconds) {
            runtime::PayloadWriter state;
            acc.save(state);
            journal->replace(next, state.bytes());
            last_checkpoint = now;
          }
        },
        row0, row1 - row0);
    progress.finish();
  });

  // Frame totals: every rank's block totals in a [frame][block] array that is -0.0 (the additive identity)
  // elsewhere, summed on rank 0, then added over blocks in block order.
  const std::size_t frames = end - first;
  std::vector<double> block_totals(frames * blocks, -0.0);
  if (!share.empty()) {
    const std::vector<double>& mine = acc.block_totals();
    for (std::size_t f = 0; f < frames; ++f) {
      for (std::size_t b = 0; b < acc.blocks(); ++b) block_totals[f * blocks + share.front() + b] = mine[f * acc.blocks() + b];
    }
  }
  world.sum_to_root(block_totals);
  const std::vector<double> totals = reduce::sum_block_totals(block_totals, blocks);

  if (!world.distributed()) {
    write_atomically(r, maps_of(acc, r.ops), frame_dims, units, first, totals, true);
  } else {
    runtime::run_phase(world, [&] {
      if (world.is_root()) std::filesystem::create_directories(io::parts_directory_for(r.out));
    });
    std::vector<std::size_t> part_dims = frame_dims;
    part_dims[0] = row1 - row0;
    runtime::run_phase(world, [&] {
      io::AtomicOutput part(io::part_path(r.out, world.rank()));
      write_output(r, part.partial_path(), maps_of(acc, r.ops), part_dims, units, first, frames, nullptr, true);
      part.commit();
    });
    const std::vector<std::uint64_t> spans = world.gather_to_root(std::vector<std::uint64_t>{row0, row1 - row0});
    runtime::run_phase(world, [&] {
      if (!world.is_root()) return;
      std::vector<io::RowPart> parts;
      for (int rank = 0; rank < world.size(); ++rank) {
        const std::size_t at = spans[2 * static_cast<std::size_t>(rank)];
        const std::size_t count = spans[2 * static_cast<std::size_t>(rank) + 1];
        io::RowPart part{io::part_reference(r.out, rank), {}};
        if (count > 0) part.segments.push_back({0, at, count});
        parts.push_back(std::move(part));
      }
      if (r.merge) {
        PixelMaps merged;
        const std::size_t pixels = rows * row_pixels;
        for (auto* v : {&merged.sum, &merged.mean, &merged.max, &merged.min, &merged.stdev}) v->assign(pixels, 0.0);
        const std::vector<std::pair<std::string, std::vector<double>*>> named = {
            {"sum", &merged.sum}, {"mean", &merged.mean}, {"max", &merged.max}, {"min", &merged.min},
            {"std", &merged.stdev}};
        for (int rank = 0; rank < world.size(); ++rank) {
          const io::RowPart& part = parts[static_cast<std::size_t>(rank)];
          if (part.segments.empty()) continue;
          io::Reader in(io::part_path(r.out, rank));
          for (const auto& [name, target] : named) {
            if (!in.exists("/reduce/" + name)) continue;
            const std::vector<double> values = in.read<double>("/reduce/" + name);
            std::copy(values.begin(), values.end(),
                      target->begin() + static_cast<std::ptrdiff_t>(part.segments[0].row * row_pixels));
          }
        }
        write_atomically(r, merged, frame_dims, units, first, totals, true);
        io::remove_parts(r.out);
      } else {
        write_atomically(r, PixelMaps{}, frame_dims, units, first, totals, true, &parts);
      }
    });
  }
  if (world.is_root()) runtime::Journal::remove(r.out);
  s.out = r.out;
  s.frames = frames;
  s.pixels = rows * row_pixels;
  s.updates = 1;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.bytes_per_second = s.seconds > 0 ? static_cast<double>(reader->stats().bytes_read) / s.seconds : 0.0;
  s.data_layout = reader->describe();
  s.distribution = world.distributed() ? fmt::format("{} (static shares of rows)", world.describe()) : world.describe();
  return s;
}

}  // namespace

ReduceSummary reduce_frames_file(const ReduceRequest& request) {
  return runtime::Journal::guard(request.out, runtime::World::get().is_root(),
                                 [&] { return reduce_frames_file_unguarded(request); });
}

}  // namespace xpulse::pipelines
