"""Scientific acceptance of `xpulse fit` on simulated stacks with stored truth (issue: pump-probe fitting)."""
import h5py
import numpy as np
import pytest
from scipy.optimize import curve_fit

CONVERGED, MASKED, NO_SIGNAL = 0, 3, 4


def load(path, group):
    with h5py.File(path, "r") as f:
        return {k: f[group][k][()] for k in f[group] if isinstance(f[group][k], h5py.Dataset)}


def inputs(path):
    with h5py.File(path, "r") as f:
        return (f["/entry_1/data_1/data"][()].astype(np.float64), f["/entry_1/data_1/delay"][()],
                f["/entry_1/data_1/mask"][()], {k: f["/truth"][k][()] for k in f["/truth"]})


def wrap(phase):
    return (phase + np.pi) % (2 * np.pi) - np.pi


@pytest.mark.parametrize("nonuniform", [False, True])
def test_noise_free_fit_recovers_truth(tmp_path, xpulse, nonuniform):
    sim, out = tmp_path / "sim.h5", tmp_path / "fit.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "200x64x64", "--noise", "none", "--seed", 11,
           *(["--nonuniform"] if nonuniform else []))
    xpulse("fit", sim, "--out", out)
    _, _, mask, truth = inputs(sim)
    fit = load(out, "/fit")
    signal = (mask == 0) & (truth["amplitude"] > 0)
    assert signal.sum() > 3000
    assert np.mean(fit["status"][signal] == CONVERGED) >= 0.999
    for name in ("frequency", "amplitude", "damping", "offset"):
        rel = np.abs(fit[name][signal] / truth[name][signal] - 1)
        assert rel.max() <= 1e-5, f"{name}: worst relative error {rel.max():.3g}"
    assert np.abs(wrap(fit["phase"][signal] - truth["phase"][signal])).max() <= 1e-5
    # Masked and no-signal pixels get their status and no invented oscillation.
    assert np.all(fit["status"][mask != 0] == MASKED)
    assert np.all(np.isnan(fit["frequency"][mask != 0]))
    flat = (mask == 0) & (truth["amplitude"] == 0)
    assert flat.sum() > 10
    assert np.all(fit["status"][flat] == NO_SIGNAL)
    assert np.all(np.isnan(fit["frequency"][flat]))


def test_standard_errors_are_honest(tmp_path, xpulse):
    sim, out = tmp_path / "sim.h5", tmp_path / "fit.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "200x64x64", "--noise", "poisson",
           "--photons", 1000, "--seed", 5)
    xpulse("fit", sim, "--out", out)
    _, _, mask, truth = inputs(sim)
    fit = load(out, "/fit")
    stderr = load(out, "/fit/stderr")
    ok = (mask == 0) & (truth["amplitude"] > 0) & (fit["status"] == CONVERGED)
    assert ok.sum() >= 2000
    z = (fit["frequency"][ok] - truth["frequency"][ok]) / stderr["frequency"][ok]
    assert 0.8 <= z.std() <= 1.25, f"std of (f_fit - f_true) / stderr_f is {z.std():.3f} over {ok.sum()} pixels"


def damped_cosine(t, f, a, g, phi, c):
    return c + a * np.exp(-g * t) * np.cos(2 * np.pi * f * t + phi)


def test_same_minimum_as_scipy_curve_fit(tmp_path, xpulse):
    sim, out = tmp_path / "sim.h5", tmp_path / "fit.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "200x32x32", "--noise", "poisson", "--seed", 9)
    xpulse("fit", sim, "--out", out)
    data, delays, mask, truth = inputs(sim)
    fit = load(out, "/fit")
    keep = delays >= 0
    t, traces = delays[keep], data[keep]
    dof = t.size - 5
    candidates = np.argwhere((mask == 0) & (truth["amplitude"] > 0) & (fit["status"] == CONVERGED))
    compared, worst = 0, 0.0
    for y, x in candidates[:700]:
        start = [truth[k][y, x] for k in ("frequency", "amplitude", "damping", "phase", "offset")]
        try:
            p, _ = curve_fit(damped_cosine, t, traces[:, y, x], p0=start, method="lm", maxfev=20000)
        except RuntimeError:
            continue  # scipy did not converge: not compared
        chi2_scipy = np.sum((traces[:, y, x] - damped_cosine(t, *p)) ** 2) / dof
        worst = max(worst, abs(fit["chi2"][y, x] / chi2_scipy - 1))
        compared += 1
    assert compared >= 500
    assert worst <= 1e-4, f"worst relative chi2 difference {worst:.3g} over {compared} pixels"


def test_bit_identical_for_any_tile_size_and_thread_count(tmp_path, xpulse):
    sim = tmp_path / "sim.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "120x40x37", "--seed", 2, "--nonuniform")
    runs = [("--threads", 1, "--tile", "16x16"), ("--threads", 2, "--tile", "5x7"), ("--threads", 2, "--tile", "40x1")]
    results = []
    for i, flags in enumerate(runs):
        out = tmp_path / f"fit{i}.h5"
        xpulse("fit", sim, "--out", out, *flags)
        results.append({**load(out, "/fit"), **{"stderr_" + k: v for k, v in load(out, "/fit/stderr").items()}})
    for other in results[1:]:
        for name, value in results[0].items():
            assert value.tobytes() == other[name].tobytes(), name


def test_layout_and_dtype_do_not_change_results(tmp_path, xpulse):
    outputs = []
    for chunks in ("frame", "tile", "none"):
        sim, out = tmp_path / f"sim_{chunks}.h5", tmp_path / f"fit_{chunks}.h5"
        xpulse("simulate", "pump-probe", "--out", sim, "--shape", "100x24x24", "--chunks", chunks,
               "--dtype", "uint16", "--seed", 4)
        xpulse("fit", sim, "--out", out)
        outputs.append(load(out, "/fit"))
    for other in outputs[1:]:
        for name, value in outputs[0].items():
            assert value.tobytes() == other[name].tobytes(), name


def test_output_is_self_describing(tmp_path, xpulse):
    sim, out = tmp_path / "sim.h5", tmp_path / "fit.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "40x8x8", "--seed", 1)
    summary = xpulse("fit", sim, "--out", out, "--model", "damped-cosine-exp")
    assert "fits/s" in summary and "converged" in summary and str(out) in summary
    with h5py.File(out, "r") as f:
        for attr in ("xpulse_version", "command_line", "created", "input_files"):
            assert attr in f.attrs
        assert str(sim) in f.attrs["input_files"]
        assert "0=converged" in f["/fit/status"].attrs["codes"]
        expected = {"frequency": "THz", "damping": "1/ps", "phase": "rad", "amplitude": "photons",
                    "offset": "photons", "background": "photons", "background_tau": "ps"}
        for name, unit in expected.items():
            assert f["/fit"][name].attrs["units"] == unit, name
            assert f["/fit/stderr"][name].attrs["units"] == unit, name
            assert f["/fit"][name].shape == (8, 8)
