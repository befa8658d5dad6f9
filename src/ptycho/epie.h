#pragma once
// ePIE (Maiden and Rodenburg 2009): for each position in a random order, the exit wave's far field takes the
// measured modulus, and the object (and probe) move towards the corrected exit wave:
//   O += alpha conj(P) / max|P|^2 (psi' - psi),   P += beta conj(O) / max|O|^2 (psi' - psi),
// with the object's step regularised as rPIE's (EngineOptions::epie_regularisation; 1 gives the line above).
// Sequential in the positions, so one thread and one process.
#include <vector>

#include "ptycho/engine.h"

namespace xpulse::ptycho {

class EpieEngine : public Engine {
 public:
  EpieEngine(const PtychoProblem& problem, const EngineOptions& options);
  void iterate(PtychoState& state) override;

 private:
  float exit_wave_at(const PtychoState& state, Position p);
  float update_at(PtychoState& state, Position p, float probe_max, float object_max);
  const PtychoProblem& problem_;
  EngineOptions options_;
  FrameFft fft_;
  std::vector<cfloat> corrected_;  // the exit wave, then its modulus projection
};

}  // namespace xpulse::ptycho
