// xpulse correct jungfrau
#include <cstdio>

#include "cli.h"
#include "pipelines/jungfrau_correct.h"
#include "runtime/thread_pool.h"

namespace xpulse::cli {

void add_correct(CLI::App& app, Action& action, const std::string& command_line) {
  auto* correct = app.add_subcommand("correct", "Detector corrections of raw frames");
  correct->require_subcommand(1);
  auto* cmd = correct->add_subcommand(
      "jungfrau",
      "JUNGFRAU raw words to energies: gain stage = raw >> 14 (0 G0, 1 G1, 3 G2; 2 invalid), adc = raw & 0x3FFF,\n"
      "E = (adc - pedestal[g]) / gain[g] in keV (gain in ADU/keV), or photons with --photon-energy.\n"
      "Writes /entry_1/data_1/data (float32) and /entry_1/data_1/mask (uint8 flags) [frames, ...].");
  auto r = std::make_shared<pipelines::JungfrauCorrectRequest>();
  r->threads = runtime::default_thread_count();
  cmd->add_option("INPUT", r->input, "HDF5 file with raw frames [frame, ...] of uint16 words")->required();
  cmd->add_option("--out", r->out, "Output HDF5 file")->required();
  cmd->add_option("--data", r->data_path, "Dataset of the raw frames")->capture_default_str();
  cmd->add_option("--pedestal", r->pedestal, "Pedestals, FILE[:/DATASET] (default dataset /pedestal), [3, frame shape] ADU")
      ->required();
  cmd->add_option("--gain", r->gain, "Gains, FILE[:/DATASET] (default dataset /gain), [3, frame shape] ADU/keV")->required();
  cmd->add_option("--photon-energy", r->options.photon_energy, "Photon energy in keV: output in photons (0: keV)")
      ->capture_default_str();
  cmd->add_option("--track-pedestal", r->options.pedestal_window,
                  "Track the G0 pedestal over dark pixels with this window in frames (0: off)")
      ->capture_default_str();
  cmd->add_option("--dark-threshold", r->options.dark_threshold,
                  "With --track-pedestal: a G0 value below this (output units) counts as dark")
      ->capture_default_str();
  cmd->add_option("--threads", r->threads, "Worker threads (default: all cores)")->capture_default_str();
  auto device = std::make_shared<std::string>("cpu");
  cmd->add_option("--device", *device, "cpu, or cuda (GPU --gpu)")->check(CLI::IsMember({"cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--gpu", r->gpu, "CUDA device index with --device cuda")->capture_default_str();
  cmd->callback([=, &action] {
    action = [=] {
      r->cuda = *device == "cuda";
      r->command_line = command_line;
      const auto s = pipelines::correct_jungfrau_file(*r);
      const double pixels = static_cast<double>(s.frames) * static_cast<double>(s.pixels);
      const std::string where = r->cuda ? "GPU " + std::to_string(r->gpu)
                                        : std::to_string(r->threads) + (r->threads == 1 ? " thread" : " threads");
      std::printf("xpulse correct jungfrau: %zu frames x %zu pixels in %.2f s (%.3f Gpixel/s, %s)\n", s.frames,
                  s.pixels, s.seconds, pixels / s.seconds / 1e9, where.c_str());
      std::printf("  flagged: %zu invalid gain, %zu unusable constants (of %.0f values)\n", s.invalid_gain,
                  s.bad_constants, pixels);
      std::printf("  output: %s:/entry_1/data_1/{data [%s], mask}\n", s.out.c_str(), s.units.c_str());
      return 0;
    };
  });
}

}  // namespace xpulse::cli
