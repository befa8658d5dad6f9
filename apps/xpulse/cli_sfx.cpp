// xpulse sfx peaks
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "cli.h"
#include "pipelines/sfx_peaks.h"
#include "pipelines/sfx_process.h"
#include "runtime/run_recorder.h"
#include "runtime/thread_pool.h"
#include "runtime/world.h"

namespace xpulse::cli {

namespace {

void add_peak_options(CLI::App* cmd, sfx::PeakFinderOptions& o, const char* threshold_help) {
  cmd->add_option("--threshold", o.threshold, threshold_help)->capture_default_str();
  cmd->add_option("--min-snr", o.min_snr, "Signal-to-noise of pixels (against their radius) and of peaks")
      ->capture_default_str();
  cmd->add_option("--min-pix", o.min_pixels, "Fewest pixels in a peak")->capture_default_str();
  cmd->add_option("--max-pix", o.max_pixels, "Most pixels in a peak")->capture_default_str();
  cmd->add_option("--local-bg-radius", o.local_bg_radius, "Width of the local background ring, pixels")
      ->capture_default_str();
  cmd->add_option("--min-res", o.min_res, "Smallest radius of a peak, pixels from the beam centre")
      ->capture_default_str();
  cmd->add_option("--max-res", o.max_res, "Largest radius of a peak, pixels")->capture_default_str();
}

void add_sfx_process(CLI::App* sfx, Action& action, const std::string& command_line) {
  auto* cmd = sfx->add_subcommand(
      "process",
      "Index, refine and integrate every frame of a CXI stack of stills with a known cell: peakfinder8, a\n"
      "known-cell search, refinement of orientation, cell and profile radius, prediction with a partiality\n"
      "model and ring integration; a reflection table per frame (HDF5, optionally a CrystFEL stream).");
  auto r = std::make_shared<pipelines::SfxProcessRequest>();
  r->threads = runtime::default_thread_count();
  sfx::StillProcessorOptions& o = r->options;
  cmd->add_option("INPUT", r->input, "CXI file: /entry_1/data_1/data [frames, y, x] with the detector geometry")
      ->required();
  cmd->add_option("--out", r->out, "Output HDF5 file (written as FILE.partial, renamed when complete)")->required();
  cmd->add_option("--cell", r->cell, "Unit cell a,b,c,alpha,beta,gamma (Angstrom, degrees)")->required();
  cmd->add_option("--centering", r->centering, "Lattice centering: P, A, B, C, I, F or R")->capture_default_str();
  add_peak_options(cmd, o.peaks, "Lowest peak pixel value, ADU (default: 5 photons at the file's adu_per_photon,\n"
                                 "else 800)");
  cmd->add_option("--min-peaks", o.min_peaks, "Fewest peaks in a hit")->capture_default_str();
  cmd->add_option("--max-peaks", o.peaks.max_peaks, "Most peaks kept per frame")->capture_default_str();
  cmd->add_option("--multi", o.max_lattices, "Most lattices per frame")->capture_default_str();
  cmd->add_option("--int-radius", r->int_radius, "Peak disc, inner and outer background radii, pixels")
      ->capture_default_str();
  cmd->add_option("--partiality", r->partiality, "xsphere | offset | unity")->capture_default_str();
  cmd->add_option("--bandwidth", o.prediction.bandwidth, "Relative width of the spectrum, for prediction")
      ->capture_default_str();
  cmd->add_option("--tolerance", o.indexer.tolerance, "Largest |h - round(h)| of an indexed peak")
      ->capture_default_str();
  cmd->add_option("--stream", r->stream, "Also write a CrystFEL stream (format 2.3)");
  cmd->add_option("--geometry", r->geometry, "TOML file whose [detector] and [source] values override the file's");
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->add_flag("--progress", r->progress, "Frames done, rate and time left on stderr");
  cmd->add_flag("--resume", r->resume, "Continue a killed run from the batches in OUT.journal");
  cmd->add_option("--device", r->device,
                  "auto | cpu | cuda: peakfinder8's passes over every pixel and step 1 of the indexing on the GPU")
      ->capture_default_str();
  cmd->add_option("--gpu", r->cuda_device, "CUDA device index")->capture_default_str();
  cmd->add_option("--frames-per-read", r->frames_per_read,
                  "Frames read at a time: the batches that ranks pull and the journal records")
      ->capture_default_str();
  cmd->callback([=, &action] {
    r->threshold_given = cmd->count("--threshold") > 0;
    action = [=] {
      r->command_line = command_line;
      const auto s = pipelines::sfx_process_file(*r);
      if (!runtime::World::get().is_root()) return 0;
      runtime::RunRecorder& record = runtime::RunRecorder::get();
      record.input(r->input), record.output(r->out), record.output(r->stream);
      record.metric("frames", static_cast<double>(s.frames));
      record.metric("indexed_frames", static_cast<double>(s.indexed_frames));
      record.metric("reflections", static_cast<double>(s.reflections));
      const double rate = s.hits ? 100.0 * static_cast<double>(s.indexed_frames) / static_cast<double>(s.hits) : 0.0;
      std::printf("xpulse sfx process: %zu frames of %zux%zu, %zu hits, %zu indexed (%.1f%% of hits), %zu lattices, "
                  "%zu reflections, %.1f s (%.1f frames/s, %s, %s)\n",
                  s.frames, s.ny, s.nx, s.hits, s.indexed_frames, rate, s.lattices, s.reflections, s.seconds,
                  static_cast<double>(s.frames) / s.seconds, s.distribution.c_str(), s.device.c_str());
      if (s.resumed_frames > 0) std::printf("  resumed: %zu frames taken from the journal\n", s.resumed_frames);
      if (s.lattices > 0) {
        std::printf("  median %.0f peaks indexed per lattice, mean rms %.2f pixels\n", s.median_indexed_peaks,
                    s.mean_rms_px);
      } else if (s.hits > 0) {
        std::printf("  no frame indexed with the cell %s (%s): check the cell, the centering and the geometry\n",
                    r->cell.c_str(), r->centering.c_str());
      }
      std::printf("  wrote %s:/indexing, /reflections, /frames%s%s\n", r->out.c_str(),
                  r->stream.empty() ? "" : " and the stream ", r->stream.c_str());
      return 0;
    };
  });
}

}  // namespace

void add_sfx(CLI::App& app, Action& action, const std::string& command_line) {
  auto* sfx = app.add_subcommand(
      "sfx", "Serial crystallography: Bragg peaks and hits; indexing, refinement and integration of stills");
  sfx->require_subcommand(1);
  auto* cmd = sfx->add_subcommand(
      "peaks",
      "Find Bragg peaks in every frame with peakfinder8's semantics, flag hits, and write CXI peak lists, the\n"
      "hit rate and a virtual powder pattern (and, with --hits-out, the hits alone).");
  auto r = std::make_shared<pipelines::SfxPeaksRequest>();
  r->threads = runtime::default_thread_count();
  sfx::PeakFinderOptions& o = r->options;
  cmd->add_option("INPUT", r->input,
                  "CXI file: /entry_1/data_1/data [frames, y, x] (mask and beam centre optional), or a European XFEL\n"
                  "run directory (with --detector)")
      ->required();
  cmd->add_option("--out", r->out, "Output HDF5 file (written as FILE.partial, renamed when complete)")->required();
  cmd->add_option("--hits-out", r->hits_out, "CXI file with the hit frames and their peaks");
  add_peak_options(cmd, o, "Lowest peak pixel value, ADU");
  cmd->add_option("--min-peaks", r->min_peaks, "Fewest peaks in a hit")->capture_default_str();
  cmd->add_option("--max-peaks", o.max_peaks, "Most peaks kept per frame (and in a hit)")->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  cmd->add_option("--device", r->device, "auto | cpu | cuda (peakfinder8's passes over every pixel on the GPU)")
      ->capture_default_str();
  cmd->add_option("--gpu", r->cuda_device, "CUDA device index")->capture_default_str();
  cmd->add_option("--geometry", r->geometry,
                  "TOML file whose [detector] values (beam_center_x, beam_center_y [pixel], distance, pixel_size\n"
                  "[m]) override the CXI file's, or a CrystFEL .geom of the stored frames' panels: peaks are\n"
                  "found per panel, radii (--min-res, --max-res) from the beam axis, bad regions masked");
  add_follow_options(cmd, r->follow, r->follow_options);
  add_run_options(cmd, r->run);
  cmd->add_option("--correct", r->correct,
                  "Input stage: jungfrau:PEDESTAL,GAIN[,PHOTON_KEV] corrects raw JUNGFRAU words (as xpulse correct\n"
                  "jungfrau) before peak finding; --threshold is then in keV or photons");
  cmd->add_flag("--progress", r->progress, "With --follow: a line per poll with the frames and the hit rate");
  cmd->callback([=, &action] {
    action = [=] {
      r->command_line = command_line;
      const auto s = pipelines::sfx_peaks_file(*r);
      runtime::RunRecorder& record = runtime::RunRecorder::get();
      record.input(r->input), record.output(r->out), record.output(r->hits_out);
      record.metric("frames", static_cast<double>(s.frames));
      record.metric("hit_rate_percent", 100.0 * s.hit_rate);
      record.metric("peaks", static_cast<double>(s.peaks));
      std::printf("xpulse sfx peaks: %zu frames of %zux%zu, %zu hits (hit rate %.1f%%), %zu peaks, %.1f s (peak "
                  "finding %.2f s on the %s, %.1f frames/s); %s\n",
                  s.frames, s.ny, s.nx, s.hits, 100.0 * s.hit_rate,
                  s.peaks, s.seconds, s.find_seconds, s.device == "cuda" ? "GPU" : "CPU",
                  static_cast<double>(s.frames) / s.find_seconds,
                  s.panels > 0 ? fmt::format("{} panels of {}", s.panels, r->geometry).c_str()
                               : fmt::format("beam centre ({:.2f}, {:.2f}) pixels", s.centre_x, s.centre_y).c_str());
      if (r->follow) std::printf("  followed (%s)\n", s.swmr ? "SWMR" : "re-open");
      std::printf("  wrote %s:/entry_1/result_1/{nPeaks, peakXPosRaw, peakYPosRaw, peakTotalIntensity, hit, "
                  "powder}%s%s\n",
                  r->out.c_str(), r->hits_out.empty() ? "" : " and the hits to ", r->hits_out.c_str());
      return 0;
    };
  });
  add_sfx_process(sfx, action, command_line);
  add_sfx_merge(sfx, action, command_line);
}

}  // namespace xpulse::cli
