// The default course: its phases, the probe centring (an exact symmetry of the data), the fitted probe start, and
// the goodness-of-fit check.
#include <cmath>
#include <cstring>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "ptycho/course.h"
#include "ptycho/probe_guess.h"
#include "sim/ptycho_simulation.h"

namespace xpulse::ptycho {
namespace {

TEST(PtychoCourse, PhasesFollowTheOptions) {
  CourseOptions o;  // 100 iterations, the probe refined from iteration 2
  EXPECT_EQ(course_phases(Algorithm::ml, o).size(), 2u);
  o.warm_up = 40;
  const auto ml = course_phases(Algorithm::ml, o);
  ASSERT_EQ(ml.size(), 3u);
  EXPECT_EQ(ml[0].algorithm, Algorithm::dm);
  EXPECT_FALSE(ml[0].probe_refine);
  EXPECT_EQ(ml[0].iterations, 2);
  EXPECT_EQ(ml[1].algorithm, Algorithm::dm);
  EXPECT_TRUE(ml[1].probe_refine);
  EXPECT_EQ(ml[1].iterations, 38);
  EXPECT_EQ(ml[2].algorithm, Algorithm::ml);
  EXPECT_TRUE(ml[2].probe_refine);
  EXPECT_EQ(ml[2].iterations, 100);
  const auto epie = course_phases(Algorithm::epie, o);  // no warm-up for ePIE and DM
  o.warm_up = 40;
  ASSERT_EQ(epie.size(), 2u);
  EXPECT_EQ(epie[0].iterations, 2);
  EXPECT_EQ(epie[1].iterations, 98);
  EXPECT_EQ(epie[1].algorithm, Algorithm::epie);
  o.probe_refine = false, o.warm_up = 0;
  const auto fixed = course_phases(Algorithm::ml, o);
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_FALSE(fixed[0].probe_refine);
  EXPECT_EQ(fixed[0].iterations, 100);
  o.probe_refine = true, o.probe_start = 500;  // never reached: the probe stays fixed
  EXPECT_EQ(course_phases(Algorithm::dm, o).size(), 1u);
  o.warm_up = -1;
  EXPECT_THROW(course_phases(Algorithm::ml, o), InvalidArgument);
}

struct Scan {
  sim::PtychoSimulation sim;
  PtychoProblem problem;
};

Scan simulate(const std::string& probe, double diameter) {
  sim::PtychoSimOptions o;
  o.object_size = 160, o.probe_size = 48, o.positions = 100, o.scan = "spiral", o.probe = probe;
  o.diameter = diameter, o.seed = 5;
  runtime::ThreadPool pool(2);
  Scan s;
  s.sim = sim::simulate_ptycho(sim::siemens_star(o.object_size), o, pool);
  s.problem = make_problem(s.sim.intensities, o.positions, o.probe_size, {}, s.sim.positions, o.object_size,
                           o.object_size);
  return s;
}

TEST(PtychoCourse, DmSettlesOverItsLastIterationsAsAWarmUpItDoesNot) {
  EngineOptions e;
  e.dm_settle_from = 4, e.dm_settle_to = 8;
  EXPECT_EQ(e.dm_alpha_at(3), 1.0);
  EXPECT_EQ(e.dm_alpha_at(4), 1.0);
  EXPECT_EQ(e.dm_alpha_at(6), 0.5);
  EXPECT_EQ(e.dm_alpha_at(7), 0.25);
  e.dm_alpha = 0.5;
  EXPECT_EQ(e.dm_alpha_at(6), 0.25);
  // Through the course: 10 DM iterations settling over the last half record alpha 1 x 5, then 1, 0.8, ... 0.2;
  // as ML's warm-up DM keeps alpha 1.
  const Scan s = simulate("gaussian", 0);
  runtime::ThreadPool pool(2);
  CourseOptions c;
  c.iterations = 10, c.dm_settle = 0.5;
  for (const Algorithm main : {Algorithm::dm, Algorithm::ml}) {
    EngineOptions o;
    o.algorithm = main;
    c.warm_up = main == Algorithm::ml ? 10 : 0;
    PtychoState state{std::vector<cfloat>(s.sim.object.size(), cfloat(1, 0)), s.sim.probe, 0, {}};
    Course course(s.problem, o, c, pool);
    while (!course.done()) course.iterate(state);
    for (int i = 0; i < 10; ++i) {
      const double expected = main == Algorithm::dm && i >= 5 ? (10 - i) / 5.0 : 1.0;
      EXPECT_NEAR(state.history[i].step, expected, 1e-6) << i;
    }
  }
  c.dm_settle = 1.5;
  EXPECT_THROW(c.validate(), InvalidArgument);
}

TEST(PtychoCourse, RollingProbeAndObjectTogetherKeepsTheCost) {
  // Exact for a probe that vanishes where the roll wraps the frame's edges (a Gaussian); a probe with tails there
  // (a sharp pupil's fringes) loses them to the other side, which is why the course rolls only when the centre
  // has moved by more than a pixel.
  const Scan s = simulate("gaussian", 0);
  runtime::ThreadPool pool(2);
  PtychoState state{s.sim.object, s.sim.probe, 0, {}};
  const ModelFit before = model_fit(s.problem, state, false, pool);
  roll(state.probe, 48, 48, 2, -3);
  roll(state.object, 160, 160, 2, -3);
  const ModelFit after = model_fit(s.problem, state, false, pool);
  EXPECT_NEAR(after.cost, before.cost, 1e-4 * before.cost);
  // Rolling the probe alone does change it.
  roll(state.object, 160, 160, -2, 3);
  EXPECT_GT(model_fit(s.problem, state, false, pool).cost, 10 * before.cost);
  const auto [cy, cx] = probe_centre(state.probe, 48);
  EXPECT_NEAR(cy, 24 + 2, 0.5);
  EXPECT_NEAR(cx, 24 - 3, 0.5);
}

TEST(PtychoCourse, TheTruthFitsAsPoissonNoisePredicts) {
  const Scan s = simulate("focused", 0);
  runtime::ThreadPool pool(2);
  const PtychoState truth{s.sim.object, s.sim.probe, 0, {}};
  for (const bool poisson : {false, true}) {
    const ModelFit fit = model_fit(s.problem, truth, poisson, pool);
    std::printf("truth's %s cost %.4g, expected %.4g\n", poisson ? "Poisson" : "amplitude", fit.cost, fit.expected);
    EXPECT_NEAR(fit.cost / fit.expected, 1.0, 0.05);
    EXPECT_FALSE(convergence_warning(fit).has_value());
  }
  PtychoState flat{std::vector<cfloat>(s.sim.object.size(), cfloat(1, 0)), s.sim.probe, 0, {}};
  const auto warning = convergence_warning(model_fit(s.problem, flat, false, pool));
  ASSERT_TRUE(warning.has_value());
  EXPECT_NE(warning->find("times what Poisson noise alone would leave"), std::string::npos);
}

TEST(PtychoCourse, TheProbeStartFindsTheDefocusAndIsTheSameForAnyThreads) {
  for (const auto& [probe, diameter, expected] : {std::tuple{"focused", 0.0, 0.3 * 48}, {"focused", 0.6 * 48, 0.6 * 48},
                                                   {"gaussian", 0.0, 0.0}}) {
    const Scan s = simulate(probe, diameter);
    runtime::ThreadPool one(1), three(3);
    const ProbeGuess a = guess_probe(s.problem, s.sim.positions, 0, one);
    const ProbeGuess b = guess_probe(s.problem, s.sim.positions, 0, three);
    EXPECT_NEAR(a.diameter, expected, 0.05 * 48 + 1e-9) << probe << " " << diameter;
    EXPECT_EQ(a.tried.size(), 17u);
    ASSERT_EQ(a.probe.size(), b.probe.size());
    EXPECT_EQ(0, std::memcmp(a.probe.data(), b.probe.data(), a.probe.size() * sizeof(cfloat)));
  }
}

}  // namespace
}  // namespace xpulse::ptycho
