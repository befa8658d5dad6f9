#include "pipelines/ptycho_output.h"

#include <fmt/format.h>

#include "io/atomic_output.h"
#include "io/hdf5.h"
#include "pipelines/history_column.h"
#include "pipelines/ptycho_reconstruct.h"

namespace xpulse::pipelines {

std::string describe_course(ptycho::Algorithm algorithm, const ptycho::CourseOptions& c) {
  std::string out;
  for (const ptycho::Phase& p : ptycho::course_phases(algorithm, c)) {
    out += fmt::format("{}{} x {} ({})", out.empty() ? "" : ", then ", ptycho::algorithm_name(p.algorithm),
                       p.iterations, p.probe_refine ? "object and probe" : "object only");
  }
  return out;
}

void write_ptycho_result(const std::string& path, const PtychoReconstructRequest& r, const PtychoResult& result) {
  const PtychoInput& input = result.input;
  const ptycho::PtychoState& state = result.state;
  io::Writer w(path);
  const std::vector<std::size_t> object_dims = {input.object_ny, input.object_nx}, probe_dims = {input.n, input.n};
  w.write_complex("/reconstruction/object", state.object, object_dims);
  w.attribute("/reconstruction/object", "description", "complex transmission; pixel (0, 0) at the smallest translation");
  w.write_complex("/reconstruction/probe", state.probe, probe_dims, "sqrt(photons)");
  std::vector<std::int32_t> rows_cols;
  for (const auto& p : input.positions) rows_cols.insert(rows_cols.end(), {p.row, p.col});
  w.write<std::int32_t>("/reconstruction/positions", rows_cols, std::vector<std::size_t>{input.frames, 2}, "pixel");
  w.attribute("/reconstruction", "pixel_size", input.pixel_m);
  w.attribute("/reconstruction", "algorithm", ptycho::algorithm_name(r.options.algorithm));
  w.attribute("/reconstruction", "noise", r.options.noise == ptycho::NoiseModel::poisson ? "poisson" : "gaussian");
  w.attribute("/reconstruction", "model_cost", result.fit.cost);
  w.attribute("/reconstruction", "expected_cost", result.fit.expected);
  w.attribute("/reconstruction", "expected_cost_description",
              "the model's cost if it were the truth and the frames photon counts (Poisson)");
  w.attribute("/reconstruction/probe", "centred_by_pixels", fmt::format("{} {}", result.shifted[0], result.shifted[1]));
  if (result.preview_frames > 0) {
    w.attribute("/reconstruction", "preview",
                fmt::format("from the first {} frames of a scan still being written", result.preview_frames));
  }
  using R = ptycho::IterationRecord;
  const std::vector<std::size_t> g = {state.history.size()};
  w.write<double>("/history/cost", history_column<double>(state.history, &R::cost), g);
  w.attribute("/history/cost", "description", "cost before each iteration's update, relative to the total intensity");
  w.write<double>("/history/seconds", history_column<double>(state.history, &R::seconds), g, "s");
  w.write<double>("/history/fft_seconds", history_column<double>(state.history, &R::fft_seconds), g, "s");
  w.write<double>("/history/step", history_column<double>(state.history, &R::step), g);
  w.attribute("/history/step", "description", "ML: the line search's step; DM: its relaxation alpha; ePIE: 0");
  w.write<std::uint8_t>("/history/algorithm", history_column<std::uint8_t>(state.history, &R::algorithm), g);
  w.attribute("/history/algorithm", "codes", "0 epie, 1 dm, 2 ml");
  w.attribute("/history", "course", result.course);
  w.write<std::uint8_t>("/history/probe_refined", history_column<std::uint8_t>(state.history, &R::probe_refined), g);
  io::write_provenance(w, r.command_line, r.input);
  w.close();
}

}  // namespace xpulse::pipelines
