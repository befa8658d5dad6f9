"""Ptychography from a cold start with the defaults: the README's example, and probes the default start must handle.

Scored against the simulation's truth with the same measure as `xpulse ptycho score` (translation, complex factor
and phase ramp removed). The thresholds are the acceptance's: object error <= 0.05 and phase SSIM >= 0.8.
"""
import h5py
import numpy as np
import pytest

import xpulse as xp


def score(xpulse, rec, truth):
    out = xpulse("ptycho", "score", rec, "--truth", truth)
    words = out.split()
    return float(words[words.index("error") + 1].rstrip(",")), float(words[words.index("SSIM") + 1])


def test_readme_example_with_its_defaults_reaches_the_truth(tmp_path, xpulse):
    scan, rec = tmp_path / "scan.cxi", tmp_path / "obj.h5"
    xpulse("simulate", "ptycho", "--out", scan)
    run = xpulse("ptycho", "reconstruct", scan, "--out", rec)
    error, ssim = score(xpulse, rec, scan)
    print(f"README example (ML, probe refined): error {error:.4f}, phase SSIM {ssim:.3f}")
    assert error <= 0.05 and ssim >= 0.8
    assert "warning" not in run
    with h5py.File(rec, "r") as f:
        engines = f["/history/algorithm"][()]
        refined = f["/history/probe_refined"][()]
        assert f["/reconstruction"].attrs["model_cost"] < 1.5 * f["/reconstruction"].attrs["expected_cost"]
    # 100 ML iterations, the first 2 with the probe fixed.
    assert list(engines) == [2] * 100
    assert list(refined[:2]) == [0, 0] and refined[2:].all()


@pytest.mark.parametrize("algorithm", ["dm", "epie"])
def test_dm_and_epie_with_their_defaults_reach_the_truth(tmp_path, xpulse, algorithm):
    scan, rec = tmp_path / "scan.cxi", tmp_path / "obj.h5"
    xpulse("simulate", "ptycho", "--out", scan)
    xpulse("ptycho", "reconstruct", scan, "--out", rec, "--algorithm", algorithm)
    error, ssim = score(xpulse, rec, scan)
    print(f"README example with --algorithm {algorithm}: error {error:.4f}, phase SSIM {ssim:.3f}")
    assert error <= 0.05 and ssim >= 0.8
    with h5py.File(rec, "r") as f:
        engines, alpha = f["/history/algorithm"][()], f["/history/step"][()]
    assert list(engines) == [{"dm": 1, "epie": 0}[algorithm]] * 100
    if algorithm == "dm":  # alpha 1, then falling linearly to 0 over the last 70 iterations
        assert np.allclose(alpha[:31], 1) and np.allclose(alpha[30:], np.arange(70, 0, -1) / 70, atol=1e-6)


def test_a_dm_warm_up_before_ml_is_recorded(tmp_path, xpulse):
    scan, rec = tmp_path / "scan.cxi", tmp_path / "rec.h5"
    xpulse("simulate", "ptycho", "--out", scan, "--object-size", 256, "--probe-size", 64, "--positions", 256)
    xpulse("ptycho", "reconstruct", scan, "--out", rec, "--warm-up", 20, "--iterations", 30)
    with h5py.File(rec, "r") as f:
        assert list(f["/history/algorithm"][()]) == [1] * 20 + [2] * 30
        assert "dm x 2 (object only), then dm x 18 (object and probe), then ml x 30" in f["/history"].attrs["course"]
    error, ssim = score(xpulse, rec, scan)
    assert error <= 0.05 and ssim >= 0.8


# A small scan (64x64 frames) keeps these fast; the photons per frame grow with the probe's area so that every
# probe gives the object the same dose.
SMALL = dict(object_size=256, probe_size=64, positions=256, threads=2)


@pytest.mark.parametrize("probe, diameter, photons", [
    ("gaussian", 0, 1e6),          # an in-focus probe: the flat-phase start is right
    ("focused", 0, 1e6),           # a ring with a curved phase (a defocused zone plate's probe)
    ("focused", 0.6 * 64, 4e6),    # twice the default diameter
])
def test_the_default_start_works_for_each_probe(probe, diameter, photons):
    s = xp.simulate_ptycho(probe=probe, probe_diameter=diameter, photons=photons, **SMALL)
    r = xp.ptycho_reconstruct(s["intensities"], s["positions"], object_shape=s["object"].shape, threads=2)
    q = xp.ptycho_score(r["object"], s["object"], probe=s["probe"], positions=s["positions"])
    nominal = diameter or 0.3 * 64
    print(f"{probe} probe of {nominal:.1f} pixels: start fitted at {r['probe_guess_diameter']:.1f}, error "
          f"{q['error']:.4f}, phase SSIM {q['phase_ssim']:.3f}, shift {q['shift']}")
    # The fitted defocus is the simulation's (the Gaussian is in focus: 0) to the search's 0.1-frame step.
    expected = 0 if probe == "gaussian" else nominal
    assert abs(r["probe_guess_diameter"] - expected) <= 0.05 * 64 + 1e-9
    assert q["error"] <= 0.05 and q["phase_ssim"] >= 0.8
    assert r["warning"] == ""


def test_a_fixed_flat_start_fails_and_is_reported():
    """The old default (the in-focus spot, not refined, ML alone) stays far from the truth, and says so."""
    s = xp.simulate_ptycho(**SMALL)
    spot = xp.ptycho_reconstruct(s["intensities"], s["positions"], object_shape=s["object"].shape, iterations=1,
                                 warm_up=0, probe_refine=False, threads=2)  # the guessed probe, for its amplitude
    n = 64
    amplitude = np.abs(np.fft.fft2(np.fft.ifftshift(spot["probe"]))) / n
    flat = np.fft.fftshift(np.fft.ifft2(amplitude) * n).astype(np.complex64)
    r = xp.ptycho_reconstruct(s["intensities"], s["positions"], object_shape=s["object"].shape, probe=flat,
                              warm_up=0, probe_refine=False, threads=2)
    q = xp.ptycho_score(r["object"], s["object"], probe=s["probe"], positions=s["positions"])
    assert q["error"] > 0.2
    assert "times what Poisson noise alone would leave" in r["warning"]


def test_score_removes_a_subpixel_translation():
    s = xp.simulate_ptycho(**SMALL)
    truth = s["object"]
    ny, nx = truth.shape
    ky, kx = np.meshgrid(np.fft.fftfreq(ny), np.fft.fftfreq(nx), indexing="ij")
    moved = np.fft.ifft2(np.fft.fft2(truth) * np.exp(-2j * np.pi * (ky * 1.3 + kx * -2.6))).astype(np.complex64)
    q = xp.ptycho_score(moved, truth, probe=s["probe"], positions=s["positions"])
    assert q["shift"] == pytest.approx((-1.3, 2.6), abs=0.05)
    assert q["error"] < 2e-3
    kept = xp.ptycho_score(moved, truth, probe=s["probe"], positions=s["positions"], remove_shift=False)
    assert kept["error"] > 0.3 and kept["shift"] == (0.0, 0.0)
