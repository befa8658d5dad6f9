"""Weighted fits (`xpulse fit --weights`): on photon-counting stacks the Poisson-weighted reduced chi2 is ~1 and
the standard errors are honest; the minimum is scipy's curve_fit's with sigma = sqrt(I); gains, weight datasets
and their bad inputs."""
import os
import shutil
import subprocess

import h5py
import numpy as np
import pytest
from scipy.optimize import curve_fit

BIN = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
DATA = "/entry_1/data_1/data"
CONVERGED = 0
NAMES = ("frequency", "amplitude", "damping", "phase", "offset")


def run(*args):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True)


def fit(*args):
    r = run("fit", *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def load(path):
    with h5py.File(path, "r") as f:
        return ({k: f["/fit"][k][()] for k in ("chi2", "status", *NAMES)},
                {k: f["/fit/stderr"][k][()] for k in NAMES}, dict(f["/fit"].attrs), dict(f["/fit/chi2"].attrs))


def wrap(phase):
    return (phase + np.pi) % (2 * np.pi) - np.pi


def damped_cosine(t, f, a, g, phi, c):
    return c + a * np.exp(-g * t) * np.cos(2 * np.pi * f * t + phi)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """A Poisson stack in photons (truth under /truth), bright enough that most pixels are far above --min-snr:
    near it the linearised errors of any least-squares fit grow optimistic (pulls ~1.14 wide at amplitude/stderr
    4-8), weighted or not."""
    path = tmp_path_factory.mktemp("weighted") / "sim.h5"
    r = run("simulate", "pump-probe", "--out", path, "--shape", "200x48x48", "--noise", "poisson",
            "--photons", 4000, "--seed", 21)
    assert r.returncode == 0, r.stderr
    return path


def test_poisson_weights_give_unit_pulls_and_unit_reduced_chi2(stack, tmp_path):
    out = tmp_path / "fit.h5"
    summary = fit(stack, "--out", out, "--weights", "poisson")
    assert "dimensionless; poisson weights, 1 photons per photon" in summary
    values, errors, attrs, chi2_attrs = load(out)
    assert attrs["weights"] == "poisson" and attrs["adu_per_photon"] == 1.0
    assert chi2_attrs["units"] == "dimensionless"
    with h5py.File(stack, "r") as f:
        truth = {k: f["/truth"][k][()] for k in NAMES}
        mask = f["/entry_1/data_1/mask"][()]
    ok = (mask == 0) & (truth["amplitude"] > 0) & (values["status"] == CONVERGED)
    assert ok.sum() >= 1800
    for name in NAMES:
        d = values[name][ok] - truth[name][ok]
        if name == "phase":
            d = wrap(d)
        width = np.std(d / errors[name][ok])
        assert 0.9 <= width <= 1.1, f"{name}: std of pulls {width:.3f} over {ok.sum()} pixels"
    median = np.median(values["chi2"][ok])
    assert 0.95 <= median <= 1.05, median


def test_same_weighted_minimum_and_errors_as_scipy(stack, tmp_path):
    out = tmp_path / "fit.h5"
    fit(stack, "--out", out, "--weights", "poisson")
    values, errors, _, _ = load(out)
    with h5py.File(stack, "r") as f:
        data = f[DATA][()].astype(np.float64)
        delays = f["/entry_1/data_1/delay"][()]
        truth = {k: f["/truth"][k][()] for k in NAMES}
    keep = delays >= 0
    t, traces = delays[keep], data[keep]
    dof = t.size - 5
    compared, worst_chi2, worst_error = 0, 0.0, 0.0
    for y, x in np.argwhere(values["status"] == CONVERGED)[:400]:
        trace = traces[:, y, x]
        sigma = np.sqrt(np.maximum(trace, 1.0))
        start = [truth[k][y, x] for k in NAMES]
        try:
            p, cov = curve_fit(damped_cosine, t, trace, p0=start, sigma=sigma, absolute_sigma=True, method="lm",
                               maxfev=20000)
        except RuntimeError:
            continue
        chi2_scipy = np.sum(((trace - damped_cosine(t, *p)) / sigma) ** 2) / dof
        worst_chi2 = max(worst_chi2, abs(values["chi2"][y, x] / chi2_scipy - 1))
        worst_error = max(worst_error, abs(errors["frequency"][y, x] / np.sqrt(cov[0, 0]) - 1))
        compared += 1
    assert compared >= 300
    assert worst_chi2 <= 1e-4, f"worst relative chi2 difference {worst_chi2:.3g} over {compared} pixels"
    assert worst_error <= 1e-2, f"worst relative stderr(frequency) difference {worst_error:.3g}"


def in_adu(stack, dst, gain, store_gain):
    """The stack in detector units (gain ADU per photon), with the gain stored in the file or not."""
    shutil.copy(stack, dst)
    with h5py.File(dst, "a") as f:
        data = f[DATA][()] * gain
        del f[DATA]
        f[DATA] = data.astype(np.float32)
        f[DATA].attrs["units"] = "ADU"
        if store_gain:
            f["/entry_1/instrument_1/detector_1/adu_per_photon"] = gain
    return dst


def test_gain_from_the_file_or_the_option(stack, tmp_path):
    photons = tmp_path / "photons.h5"
    fit(stack, "--out", photons, "--weights", "poisson")
    reference, _, _, _ = load(photons)
    stored = in_adu(stack, tmp_path / "stored.h5", 20.0, True)
    bare = in_adu(stack, tmp_path / "bare.h5", 20.0, False)
    for source, flags in ((stored, ()), (bare, ("--adu-per-photon", 20))):
        out = tmp_path / f"{source.stem}_fit.h5"
        summary = fit(source, "--out", out, "--weights", "poisson", *flags)
        assert "20 ADU per photon" in summary
        values, _, attrs, _ = load(out)
        assert attrs["adu_per_photon"] == 20.0
        ok = values["status"] == CONVERGED
        np.testing.assert_allclose(values["chi2"][ok], reference["chi2"][ok], rtol=1e-4)
    r = run("fit", bare, "--out", tmp_path / "no_gain.h5", "--weights", "poisson")
    assert r.returncode == 2
    assert r.stderr == (f"xpulse: error: --weights poisson needs the detector gain: '{DATA}' is in ADU, not photons, "
                        f"and '{bare}' does not say how many per photon; give --adu-per-photon\n")
    assert not os.path.exists(tmp_path / "no_gain.h5")


def test_weights_dataset(stack, tmp_path):
    weighted = tmp_path / "weights.h5"
    shutil.copy(stack, weighted)
    with h5py.File(weighted, "a") as f:
        f["/entry_1/data_1/weights"] = (1.0 / np.maximum(f[DATA][()], 1.0)).astype(np.float32)
        f["/entry_1/data_1/short"] = np.ones((10, 48, 48), np.float32)
    fit(stack, "--out", tmp_path / "poisson.h5", "--weights", "poisson")
    summary = fit(weighted, "--out", tmp_path / "dataset.h5", "--weights", "/entry_1/data_1/weights")
    assert "weights from '/entry_1/data_1/weights'" in summary
    a, _, _, _ = load(tmp_path / "poisson.h5")
    b, _, attrs, _ = load(tmp_path / "dataset.h5")
    assert attrs["weights"] == "/entry_1/data_1/weights"
    ok = (a["status"] == CONVERGED) & (b["status"] == CONVERGED)
    assert ok.sum() > 1800
    np.testing.assert_allclose(b["chi2"][ok], a["chi2"][ok], rtol=1e-4)
    bad = {
        ("--weights", "/entry_1/data_1/short"):
            "weights '/entry_1/data_1/short' have shape [10, 48, 48], but the data '/entry_1/data_1/data' are "
            "[200, 48, 48]",
        ("--weights", "/nowhere"): f"--weights: dataset '/nowhere' not found in '{weighted}'; use none, poisson or "
                                   "the path of a weights dataset [delay, y, x]",
        ("--adu-per-photon", 2): "--adu-per-photon applies to --weights poisson",
        ("--weights", "poisson", "--adu-per-photon", -1): "--adu-per-photon must be a positive number, got -1",
    }
    for flags, message in bad.items():
        out = tmp_path / "bad.h5"
        r = run("fit", weighted, "--out", out, *flags)
        assert r.returncode == 2, (flags, r.stderr)
        assert r.stderr == f"xpulse: error: {message}\n", flags
        assert [p for p in os.listdir(tmp_path) if p.startswith("bad.h5")] == []


def test_weighted_results_bit_identical_for_any_tile_size_and_thread_count(stack, tmp_path):
    results = []
    for i, flags in enumerate([("--threads", 1, "--tile", "16x16"), ("--threads", 2, "--tile", "5x7")]):
        out = tmp_path / f"fit{i}.h5"
        fit(stack, "--out", out, "--weights", "poisson", *flags)
        values, errors, _, _ = load(out)
        results.append({**values, **{"stderr_" + k: v for k, v in errors.items()}})
    for name, value in results[0].items():
        assert value.tobytes() == results[1][name].tobytes(), name
