"""xpulse correct jungfrau against an independent numpy implementation of the JUNGFRAU correction, bit for bit in
float32, on a 2-module stack written by h5py (with bitshuffle-LZ4, as Jungfraujoch writes it); and bad input."""
import os
import shutil
import subprocess

import h5py
import hdf5plugin
import numpy as np
import pytest

BIN = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
DATA = "/entry_1/data_1/data"
SHAPE = (9, 2, 64, 96)  # frames, modules, ss, fs


def numpy_correct(raw, pedestal, gain, photon_energy=0.0, window=0, dark=0.5):
    """The published recipe, written independently: gain bits 00 -> G0, 01 -> G1, 11 -> G2, 10 invalid."""
    stage_bits = raw >> 14
    adc = (raw & 0x3FFF).astype(np.float32)
    index = np.where(stage_bits == 3, 2, np.where(stage_bits == 1, 1, 0))  # invalid (2) reads G0, then zeroed
    pedestal = pedestal.copy()
    values = np.empty(raw.shape, np.float32)
    flags = np.zeros(raw.shape, np.uint8)
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero gain is flagged, whatever it divides into
        for f in range(raw.shape[0]):
            ped = np.take_along_axis(pedestal, index[f][None], 0)[0]
            g = np.take_along_axis(gain, index[f][None], 0)[0]
            e = (adc[f] - ped) / g
            if photon_energy > 0:
                e = e / np.float32(photon_energy)
            invalid = stage_bits[f] == 2
            bad = ~np.isfinite(ped) | ~np.isfinite(g) | ~(g > 0)
            flags[f] = np.where(invalid, 1, np.where(bad, 2, 0))
            values[f] = np.where(flags[f] != 0, np.float32(0), e)
            if window > 0:
                is_dark = (stage_bits[f] == 0) & (flags[f] == 0) & (values[f] < np.float32(dark))
                moved = pedestal[0] + (adc[f] - pedestal[0]) / np.float32(window)
                pedestal[0] = np.where(is_dark, moved, pedestal[0])
    return values, flags, pedestal


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    d = tmp_path_factory.mktemp("jungfrau")
    rng = np.random.default_rng(3)
    pixels = SHAPE[1:]
    pedestal = np.stack([rng.normal(m, 30, pixels) for m in (1200.0, 14000.0, 15000.0)]).astype(np.float32)
    gain = np.stack([rng.normal(m, s, pixels) for m, s in ((41.0, 1.0), (1.55, 0.05), (0.11, 0.003))]).astype(np.float32)
    pedestal[0, 0, 3, 5] = np.nan  # an unusable G0 pedestal
    gain[1, 1, 10, 20] = 0.0       # an unusable G1 gain
    stage = rng.choice([0, 1, 3, 2], size=SHAPE, p=[0.8, 0.12, 0.07, 0.01]).astype(np.uint16)
    photons = rng.poisson(0.3, SHAPE)
    base = np.array([1200, 14000, 1200, 15000])[stage]
    adc = np.clip(base + photons * np.array([41 * 12.4, 1.55 * 12.4, 0, 0.11 * 12.4])[stage] +
                  rng.normal(0, 20, SHAPE), 0, 0x3FFF).astype(np.uint16)
    adc[0, 0, 3, 5] = 1300
    stage[0, 0, 3, 5] = 0
    raw = (stage << 14) | adc
    raw_path, constants = d / "raw.h5", d / "constants.h5"
    with h5py.File(raw_path, "w") as f:
        f.create_dataset(DATA, data=raw, chunks=(1,) + pixels, **hdf5plugin.Bitshuffle(cname="lz4"))
    with h5py.File(constants, "w") as f:
        f["pedestal"] = pedestal
        f["gain"] = gain
        f["other/gain_kev"] = gain
    return d, raw_path, constants, raw, pedestal, gain


def run(*args):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True)


def read(path):
    with h5py.File(path, "r") as f:
        return f[DATA][()], f["/entry_1/data_1/mask"][()], f[DATA].attrs["units"]


def test_keV_equals_numpy_bit_for_bit(stack):
    d, raw_path, constants, raw, pedestal, gain = stack
    out = d / "kev.h5"
    r = run("correct", "jungfrau", raw_path, "--pedestal", constants, "--gain", f"{constants}:/other/gain_kev",
            "--out", out, "--threads", 2)
    assert r.returncode == 0, r.stderr
    values, flags, units = read(out)
    want_values, want_flags, _ = numpy_correct(raw, pedestal, gain)
    assert units == "keV"
    assert values.dtype == np.float32 and values.shape == SHAPE
    np.testing.assert_array_equal(flags, want_flags)
    assert np.array_equal(values.view(np.uint32), want_values.view(np.uint32))  # the same bits
    assert (flags == 1).sum() == (raw >> 14 == 2).sum() > 0
    assert flags[0, 0, 3, 5] == 2 and values[0, 0, 3, 5] == 0
    assert ((flags == 2) & ((raw >> 14) == 1)).any()


def test_photons_and_pedestal_tracking_equal_numpy(stack):
    d, raw_path, constants, raw, pedestal, gain = stack
    out = d / "photons.h5"
    r = run("correct", "jungfrau", raw_path, "--pedestal", constants, "--gain", constants, "--out", out,
            "--photon-energy", 12.4, "--track-pedestal", 5, "--threads", 1)
    assert r.returncode == 0, r.stderr
    values, flags, units = read(out)
    want_values, want_flags, tracked = numpy_correct(raw, pedestal, gain, 12.4, window=5)
    assert units == "photons"
    assert np.array_equal(values.view(np.uint32), want_values.view(np.uint32))
    np.testing.assert_array_equal(flags, want_flags)
    with h5py.File(out, "r") as f:
        got = f["/entry_1/data_1/pedestal_tracked"][()]
    assert np.array_equal(got, tracked, equal_nan=True)
    assert not np.array_equal(got[0], pedestal[0], equal_nan=True)
    # photons of a G0 pixel: the simulated mean of 0.3 photons comes back
    g0 = ((raw >> 14) == 0) & (flags == 0)
    assert abs(values[g0].mean() - 0.3) < 0.05


def bad(stack, name, *args):
    d = stack[0]
    out = d / f"bad_{name}.h5"
    r = run("correct", "jungfrau", *args, "--out", out)
    assert r.returncode == 2, (name, r.returncode, r.stderr)
    assert r.stderr.startswith("xpulse: error: ") and r.stderr.count("\n") == 1, (name, r.stderr)
    assert not [f for f in os.listdir(d) if f.startswith(f"bad_{name}.h5")], name
    return r.stderr


def test_bad_input(stack):
    d, raw_path, constants, raw, pedestal, gain = stack
    c = ["--pedestal", constants, "--gain", constants]
    assert "nope.h5" in bad(stack, "missing", d / "nope.h5", *c)
    with h5py.File(d / "float.h5", "w") as f:
        f[DATA] = raw.astype(np.float32)
    assert "uint16" in bad(stack, "dtype", d / "float.h5", *c)
    with h5py.File(d / "small.h5", "w") as f:
        f["pedestal"] = pedestal[:, :, :32]
        f["gain"] = gain[:2]
    assert "expected [3, 2, 64, 96]" in bad(stack, "shape", raw_path, "--pedestal", d / "small.h5", "--gain", constants)
    assert "expected [3, 2, 64, 96]" in bad(stack, "planes", raw_path, "--pedestal", constants, "--gain", d / "small.h5")
    assert "/nothing" in bad(stack, "dataset", raw_path, "--pedestal", f"{constants}:/nothing", "--gain", constants)
    assert "--photon-energy" in bad(stack, "energy", raw_path, *c, "--photon-energy", -1)
    with h5py.File(d / "flat.h5", "w") as f:
        f[DATA] = raw[0, 0, 0]
    assert "rank 1" in bad(stack, "rank", d / "flat.h5", *c)
    open(d / "truncated.h5", "wb").write(open(raw_path, "rb").read()[:5000])
    bad(stack, "truncated", d / "truncated.h5", *c)


def test_reduce_with_the_correction_as_input_stage(stack):
    """`--correct jungfrau:...` on another command: reduce sums the corrected values numpy computes."""
    d, raw_path, constants, raw, pedestal, gain = stack
    out = d / "reduced.h5"
    r = run("reduce", raw_path, "--out", out, "--op", "sum,max", "--threads", 2,
            "--correct", f"jungfrau:{constants},{constants}:/other/gain_kev,12.4")
    assert r.returncode == 0, r.stderr
    values, _, _ = numpy_correct(raw, pedestal, gain, 12.4)
    with h5py.File(out, "r") as f:
        assert f["/reduce/sum"].attrs["units"] == "photons"
        np.testing.assert_allclose(f["/reduce/sum"][()], values.astype(np.float64).sum(axis=0), rtol=1e-12)
        assert np.array_equal(f["/reduce/max"][()], values.max(axis=0).astype(np.float64))
    for spec, words in [("gotthard:a,b", "expected jungfrau:PEDESTAL,GAIN"),
                        (f"jungfrau:{constants}", "expected jungfrau:PEDESTAL,GAIN"),
                        (f"jungfrau:{constants},{constants},-3", "photon energy"),
                        (f"jungfrau:{d / 'none.h5'},{constants}", "none.h5")]:
        out = d / "bad_reduce.h5"
        r = run("reduce", raw_path, "--out", out, "--correct", spec)
        assert r.returncode == 2 and words in r.stderr and r.stderr.count("\n") == 1, (spec, r.stderr)
        assert not os.path.exists(out)


def test_fit_with_the_correction_as_input_stage(tmp_path, xpulse):
    """A pump-probe stack recorded as raw JUNGFRAU words (G0) fits through --correct to the simulation's truth."""
    sim = tmp_path / "sim.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "120x16x16", "--delays=0:5.95", "--seed", "4")
    with h5py.File(sim, "r") as f:
        photons = f[DATA][()]
        truth = f["/truth/frequency"][()]
    rng = np.random.default_rng(8)
    pedestal = np.stack([rng.normal(m, 20, photons.shape[1:]) for m in (1100.0, 14000.0, 15000.0)]).astype(np.float32)
    energy = 9.0
    g0 = 0.8 * (0x3FFF - 1200) / (np.nanmax(photons) * energy)  # ADU per keV: the brightest pixel stays in G0
    gain = np.stack([np.full(photons.shape[1:], g, np.float32) for g in (g0, g0 / 30, g0 / 500)])
    raw = np.clip(np.rint(pedestal[0] + photons * gain[0] * energy), 0, 0x3FFF).astype(np.uint16)
    assert raw.max() < 0x3FFF
    rawfile = tmp_path / "raw.h5"
    shutil.copy(sim, rawfile)
    with h5py.File(rawfile, "a") as f:
        del f[DATA]
        f[DATA] = raw
    constants = tmp_path / "constants.h5"
    with h5py.File(constants, "w") as f:
        f["pedestal"] = pedestal
        f["gain"] = gain
    out = tmp_path / "fit.h5"
    xpulse("fit", rawfile, "--out", out, "--threads", 2, "--correct", f"jungfrau:{constants},{constants},{energy}")
    with h5py.File(out, "r") as f:
        status = f["/fit/status"][()]
        frequency = f["/fit/frequency"][()]
        assert f["/fit/amplitude"].attrs["units"] == "photons"
    # The same stack fitted from the photons themselves: the same pixels converge, to the same frequencies.
    direct = tmp_path / "direct.h5"
    xpulse("fit", sim, "--out", direct, "--threads", 2)
    with h5py.File(direct, "r") as f:
        direct_status = f["/fit/status"][()]
        direct_frequency = f["/fit/frequency"][()]
    assert (status == direct_status).mean() > 0.97
    ok = (status == 0) & (direct_status == 0) & np.isfinite(truth) & (truth > 0)
    assert ok.sum() > 100
    assert np.median(np.abs(frequency[ok] - direct_frequency[ok]) / direct_frequency[ok]) < 1e-3
    assert np.median(np.abs(frequency[ok] - truth[ok]) / truth[ok]) < 0.01


def test_sfx_peaks_with_the_correction_as_input_stage(tmp_path, xpulse):
    """Stills recorded as raw JUNGFRAU words: sfx peaks through --correct finds the peaks of the stills themselves."""
    pdb = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")
    sim = tmp_path / "sim.cxi"
    xpulse("simulate", "sfx", "--pdb", pdb, "--out", sim, "--frames", 8, "--pixels", "256x256", "--hit-fraction",
           0.5, "--threads", 2)
    with h5py.File(sim, "r") as f:
        data = f[DATA][()]
    # 1 ADU per keV in G0 (outputs in ADU-sized keV) and a pedestal: the corrected frames are the stills rounded to
    # whole ADU.
    pedestal = np.stack([np.full(data.shape[1:], p, np.float32) for p in (1000.0, 14000.0, 15000.0)])
    gain = np.stack([np.full(data.shape[1:], g, np.float32) for g in (1.0, 0.05, 0.002)])
    raw = np.clip(np.rint(data + pedestal[0]), 0, 0x3FFF).astype(np.uint16)
    rawfile, constants = tmp_path / "raw.cxi", tmp_path / "constants.h5"
    shutil.copy(sim, rawfile)
    with h5py.File(rawfile, "a") as f:
        del f[DATA]
        f[DATA] = raw
    with h5py.File(constants, "w") as f:
        f["pedestal"] = pedestal
        f["gain"] = gain
    rounded = tmp_path / "rounded.cxi"
    shutil.copy(sim, rounded)
    with h5py.File(rounded, "a") as f:
        del f[DATA]
        f[DATA] = (raw.astype(np.float32) - pedestal[0]).astype(np.float32)
    xpulse("sfx", "peaks", rawfile, "--out", tmp_path / "corrected.h5", "--threshold", 100, "--threads", 2,
           "--correct", f"jungfrau:{constants},{constants}")
    xpulse("sfx", "peaks", rounded, "--out", tmp_path / "direct.h5", "--threshold", 100, "--threads", 2)
    with h5py.File(tmp_path / "corrected.h5", "r") as a, h5py.File(tmp_path / "direct.h5", "r") as b:
        for name in ("nPeaks", "peakXPosRaw", "peakYPosRaw", "peakTotalIntensity"):
            assert np.array_equal(a["/entry_1/result_1/" + name][()], b["/entry_1/result_1/" + name][()]), name
        assert a["/entry_1/result_1/nPeaks"][()].sum() > 0


def test_python_function_gives_the_command_line_bits(stack):
    import xpulse
    d, raw_path, constants, raw, pedestal, gain = stack
    values, flags, tracked = xpulse.correct_jungfrau(raw, pedestal, gain, photon_energy=12.4, track_pedestal=5,
                                                     threads=2)
    want_values, want_flags, want_tracked = numpy_correct(raw, pedestal, gain, 12.4, window=5)
    assert values.dtype == np.float32 and flags.dtype == np.uint8 and tracked.shape == pedestal.shape
    assert np.array_equal(values.view(np.uint32), want_values.view(np.uint32))
    np.testing.assert_array_equal(flags, want_flags)
    assert np.array_equal(tracked, want_tracked, equal_nan=True)
    with pytest.raises(ValueError, match="uint16"):
        xpulse.correct_jungfrau(raw.astype(np.int32), pedestal, gain)
    with pytest.raises(ValueError, match=r"shape \[3, 2, 64, 96\]"):
        xpulse.correct_jungfrau(raw, pedestal[:2], gain)
