"""The compiled Python module (issue: Python module): same results as the CLI, any input layout, clear errors,
the GIL released."""
import threading

import h5py
import numpy as np
import pytest

import xpulse as xp

FIT_KEYS = ["frequency", "amplitude", "damping", "phase", "offset", "chi2", "status", "iterations"]


def load(path):
    with h5py.File(path) as f:
        d = f["/entry_1/data_1"]
        return d["data"][()], d["delay"][()], d["mask"][()]


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


@pytest.mark.parametrize("dtype", ["float32", "uint16"])
def test_results_equal_the_cli_bit_for_bit(tmp_path, xpulse, dtype):
    sim, out = tmp_path / "sim.h5", tmp_path / "fit.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "120x40x56", "--seed", 9, "--dtype", dtype)
    xpulse("fit", sim, "--out", out, "--threads", 2)
    data, delays, mask = load(sim)
    assert data.dtype == np.dtype(dtype)
    r = xp.fit_damped_cosine(data, delays, mask=mask, threads=1)
    with h5py.File(out) as f:
        for k in FIT_KEYS:
            assert same(r[k], f["fit"][k][()]), k
        for k in ("frequency", "amplitude", "damping", "phase", "offset"):
            assert same(r["stderr_" + k], f["fit/stderr"][k][()]), k


def test_weighted_results_equal_the_cli_bit_for_bit(tmp_path, xpulse):
    sim, poisson, dataset = tmp_path / "sim.h5", tmp_path / "poisson.h5", tmp_path / "dataset.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "100x24x32", "--seed", 3)
    data, delays, mask = load(sim)
    weights = (1.0 / np.maximum(data, 1.0) * (1 + (np.arange(data.size) % 3)).reshape(data.shape)).astype(np.float32)
    with h5py.File(sim, "a") as f:
        f["/entry_1/data_1/weights"] = weights
    xpulse("fit", sim, "--out", poisson, "--weights", "poisson", "--adu-per-photon", 2)
    xpulse("fit", sim, "--out", dataset, "--weights", "/entry_1/data_1/weights")
    for out, kwargs in ((poisson, {"weights": "poisson", "adu_per_photon": 2.0}), (dataset, {"weights": weights})):
        r = xp.fit_damped_cosine(data, delays, mask=mask, **kwargs)
        with h5py.File(out) as f:
            for k in FIT_KEYS:
                assert same(r[k], f["fit"][k][()]), (out.name, k)


def test_any_layout_and_dtype_gives_the_same_fit(tmp_path, xpulse):
    sim = tmp_path / "sim.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "100x24x32", "--seed", 4)
    data, delays, mask = load(sim)
    reference = xp.fit_damped_cosine(data, delays, mask=mask)
    # Non-contiguous: pixels along the first axis of a [y, x, delay] array, viewed back as [delay, y, x].
    transposed = np.ascontiguousarray(np.moveaxis(data, 0, -1))
    view = np.moveaxis(transposed, -1, 0)
    assert not view.flags.c_contiguous
    r = xp.fit_damped_cosine(view, delays, mask=mask)
    for k in FIT_KEYS:
        assert same(r[k], reference[k]), k
    # float64 data that hold float32 values, and a flat [delay, pixels] layout.
    r = xp.fit_damped_cosine(data.astype(np.float64).reshape(100, -1), delays, mask=mask.reshape(-1))
    for k in FIT_KEYS:
        assert same(r[k], reference[k].reshape(-1)), k
    # One trace, 1-D: a converged pixel's.
    y, x = np.argwhere(reference["status"] == 0)[0]
    one = xp.fit_damped_cosine(data[:, y, x], delays)
    assert one["frequency"].shape == ()
    assert one["status"] == 0
    assert one["frequency"] == reference["frequency"][y, x]


def test_noise_free_trace_is_recovered_and_t0_is_honoured():
    t = np.linspace(-1, 10, 200)
    y = np.where(t >= 0.5, 100 + 20 * np.exp(-0.1 * (t - 0.5)) * np.cos(2 * np.pi * 1.7 * (t - 0.5) + 0.3), 0.0)
    r = xp.fit_damped_cosine(y.astype(np.float32), t, t0=0.5)
    assert r["status"] == 0
    assert r["frequency"] == pytest.approx(1.7, rel=1e-5)
    assert r["damping"] == pytest.approx(0.1, rel=1e-4)


@pytest.mark.parametrize("call, message", [
    (lambda d, t: xp.fit_damped_cosine(d, t[:-1]), "delays have 59 values but data has 60 delays"),
    (lambda d, t: xp.fit_damped_cosine(d, t, model="lorentzian"), "model 'lorentzian'"),
    (lambda d, t: xp.fit_damped_cosine(d, t, threads=0), "threads must be >= 1, got 0"),
    (lambda d, t: xp.fit_damped_cosine(d, t, mask=np.zeros((3, 3))), "mask must have the trailing shape"),
    (lambda d, t: xp.fit_damped_cosine(d, t, t0=100.0), "t0"),
    (lambda d, t: xp.fit_damped_cosine(np.full_like(d, np.nan), t), "no finite values after t0"),
    (lambda d, t: xp.fit_damped_cosine(d[:0], t[:0]), "data is empty"),
    (lambda d, t: xp.fit_damped_cosine(d.astype(complex), t), "data has dtype complex128"),
    (lambda d, t: xp.fit_damped_cosine(d, t[::-1].copy()), "increasing"),
    (lambda d, t: xp.fit_damped_cosine(d, t, weights="gauss"), "weights 'gauss' is not known"),
    (lambda d, t: xp.fit_damped_cosine(d, t, weights=d[:, :2]), "weights must be an array of data's shape"),
    (lambda d, t: xp.fit_damped_cosine(d, t, weights="poisson", adu_per_photon=0),
     "--adu-per-photon must be a positive number, got 0"),
])
def test_bad_input_raises_value_error_with_the_cli_message(call, message):
    t = np.linspace(0, 5, 60)
    d = np.random.default_rng(0).normal(100, 1, (60, 4, 5)).astype(np.float32)
    with pytest.raises(ValueError, match=None) as e:
        call(d, t)
    assert message in str(e.value)


def test_the_gil_is_released_during_a_fit():
    rng = np.random.default_rng(1)
    t = np.linspace(0, 10, 200)
    traces = (100 + 10 * np.cos(2 * np.pi * rng.uniform(0.5, 3, 200_000)[None, :] * t[:, None])
              + rng.normal(0, 3, (200, 200_000))).astype(np.float32)
    ticks = []
    done = threading.Event()

    def count():
        while not done.is_set():
            ticks.append(1)

    worker = threading.Thread(target=count)
    worker.start()
    try:
        ticks_before = len(ticks)
        xp.fit_damped_cosine(traces, t, threads=1)
        ticks_during = len(ticks) - ticks_before
    finally:
        done.set()
        worker.join()
    # With the GIL held the counting thread would not run at all while the fit computes (several tenths of a
    # second); released, it counts freely (thousands of ticks even on a loaded machine).
    assert ticks_during > 1_000


def test_help_is_useful():
    doc = xp.fit_damped_cosine.__doc__
    for words in ("frequency [THz]", "damping [1/ps]", "delays : numpy array [n_delay]", "ValueError",
                  "bit-identical"):
        assert words in doc
