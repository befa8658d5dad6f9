"""Scientific acceptance of `xpulse dispersion` and `xpulse spectra` (issue: phonon dispersion and FT-IXS)."""
import h5py
import numpy as np
import pytest


@pytest.fixture(scope="module")
def default_run(tmp_path_factory, xpulse):
    """A stack with the simulator's default settings (noisy), its fit, dispersion and spectra."""
    d = tmp_path_factory.mktemp("phonon")
    sim, fit, disp, spec = d / "sim.h5", d / "fit.h5", d / "disp.h5", d / "spec.h5"
    xpulse("simulate", "pump-probe", "--out", sim)
    xpulse("fit", sim, "--out", fit)
    xpulse("dispersion", fit, "--out", disp)
    xpulse("spectra", sim, "--out", spec, "--q-bins", 80)
    return sim, fit, disp, spec


def branch(q_reduced, f_max=2.5, a=4.0):
    """The simulator's true acoustic branch, written out independently of the file's /truth."""
    q_zb = np.pi / a
    return f_max * np.abs(np.sin(np.pi * q_reduced / (2 * q_zb)))


def test_every_populated_bin_is_within_two_percent_of_the_branch(default_run):
    sim, _, disp, _ = default_run
    with h5py.File(disp) as f:
        d = f["dispersion"]
        freq, count, truth = d["frequency"][()], d["count"][()], d["truth_frequency"][()]
        q_mean = d["q_mean"][()]
        used = f["maps/used"][()].astype(bool)
        q_map = f["maps/q_reduced"][()]
    with h5py.File(sim) as f:
        q_truth = f["truth/q_reduced"][()]
    # The per-pixel |q - G| computed from the file's geometry is the simulator's own.
    assert np.max(np.abs(q_map - q_truth)) < 1e-5
    populated = count > 0
    assert populated.sum() >= 30
    rel = np.abs(freq[populated] / truth[populated] - 1)
    assert rel.max() <= 0.02, f"worst bin {rel.max():.4f} off the truth binned over the same pixels"
    # And against the analytic branch at each bin's mean |q - G| (curvature within a bin is tiny).
    rel_branch = np.abs(freq[populated] / branch(q_mean[populated]) - 1)
    assert rel_branch.max() <= 0.02, f"worst bin {rel_branch.max():.4f} off the analytic branch"
    assert used.sum() > 30000


def test_ftixs_peak_is_within_one_resolution_step(default_run):
    _, _, _, spec = default_run
    with h5py.File(spec) as f:
        s = f["spectra"]
        resolution = s.attrs["resolution_thz"]
        peak, truth, count = s["peak_frequency"][()], s["truth_frequency"][()], s["count"][()]
        intensity, frequency = s["intensity"][()], s["frequency"][()]
    ok = count > 0
    assert ok.sum() >= 60
    assert resolution == pytest.approx(1 / (181 * 11 / 199), rel=1e-9)  # 181 delays after t0, step 11/199 ps
    err = np.abs(peak[ok] - truth[ok])
    assert err.max() <= resolution, f"worst bin off by {err.max() / resolution:.2f} resolution steps"
    # The stored peak is the maximum of the stored image (not computed some other way).
    k = np.argmax(np.where(frequency >= resolution, intensity, -np.inf), axis=1)
    assert np.all(np.abs(frequency[k][ok] - peak[ok]) <= frequency[1])


def test_path_binning_follows_the_branch(default_run, tmp_path, xpulse):
    sim, fit, _, _ = default_run
    out = tmp_path / "path.h5"
    xpulse("dispersion", fit, "--out", out, "--path", "G X M G", "--q-bins", 30)
    with h5py.File(out) as f:
        d = f["dispersion"]
        assert d.attrs["coordinate"] == "path"
        assert d["path_positions"].attrs["labels"] == "Γ X M Γ"
        freq, truth, count = d["frequency"][()], d["truth_frequency"][()], d["count"][()]
    ok = count > 0
    assert ok.sum() >= 15
    assert np.max(np.abs(freq[ok] / truth[ok] - 1)) <= 0.02


def test_nonuniform_delays_use_the_nudft(tmp_path, xpulse):
    sim, spec = tmp_path / "nu.h5", tmp_path / "spec.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "200x96x96", "--nonuniform", "--seed", 4)
    xpulse("spectra", sim, "--out", spec, "--q-bins", 40)
    with h5py.File(spec) as f:
        s = f["spectra"]
        assert s.attrs["delay_grid"].startswith("non-uniform")
        resolution = s.attrs["resolution_thz"]
        peak, truth, count = s["peak_frequency"][()], s["truth_frequency"][()], s["count"][()]
    ok = count >= 20
    assert ok.sum() >= 20
    assert np.max(np.abs(peak[ok] - truth[ok])) <= resolution
