"""xpulse.simulate_sfx and xpulse.find_peaks give what the command line gives, and their errors."""
import os

import h5py
import numpy as np
import pytest
from live_writer import start_live_writer

import xpulse as xp

PDB = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, xpulse):
    folder = tmp_path_factory.mktemp("sfx")
    path = folder / "sim.cxi"
    xpulse("simulate", "sfx", "--pdb", PDB, "--out", path, "--frames", 12, "--pixels", "256x320",
           "--hit-fraction", 0.5, "--seed", 6, "--threads", 2)
    return folder, path, xp.simulate_sfx(PDB, frames=12, pixels=(256, 320), hit_fraction=0.5, seed=6, threads=1)


def test_simulation_equals_the_command_lines(simulated):
    _, path, s = simulated
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(s["frames"], f["/entry_1/data_1/data"][()])
        np.testing.assert_array_equal(s["hit"], f["/truth/hit"][()])
        np.testing.assert_array_equal(s["spots"]["x"], f["/truth/spots/x"][()])
    assert s["frames"].shape == (12, 256, 320) and s["spots"]["hkl"].shape[1] == 3


def test_peaks_equal_the_command_lines(simulated, xpulse):
    folder, path, s = simulated
    out = folder / "peaks.h5"
    xpulse("sfx", "peaks", path, "--out", out, "--threshold", 100, "--threads", 2)
    found = xp.find_peaks(s["frames"], mask=s["mask"], threshold=100, threads=1)
    assert len(found) == 12
    with h5py.File(out, "r") as f:
        counts = f["/entry_1/result_1/nPeaks"][()]
        for j, peaks in enumerate(found):
            assert len(peaks["x"]) == counts[j]
            np.testing.assert_array_equal(peaks["x"], f["/entry_1/result_1/peakXPosRaw"][j, :counts[j]])
            np.testing.assert_array_equal(peaks["total_intensity"],
                                          f["/entry_1/result_1/peakTotalIntensity"][j, :counts[j]])
    assert sum(len(p["x"]) for p in found) > 20
    assert len(xp.find_peaks(s["frames"][0], mask=s["mask"])) == 1  # one frame


def test_bad_input_raises_with_the_library_messages(simulated):
    _, _, s = simulated
    with pytest.raises(ValueError, match="--threshold must be >= 0"):
        xp.find_peaks(s["frames"], threshold=-1)
    with pytest.raises(ValueError, match=r"mask must have the frames' shape \[256, 320\]"):
        xp.find_peaks(s["frames"], mask=np.zeros((10, 10)))
    with pytest.raises(ValueError, match="frames must be an array"):
        xp.find_peaks(np.zeros(5))
    with pytest.raises(ValueError, match="--hit-fraction must be in"):
        xp.simulate_sfx(PDB, hit_fraction=3)


@pytest.mark.parametrize("mode", ["swmr", "flush"])
def test_follow_gives_the_peaks_of_the_finished_file(simulated, xpulse, tmp_path, mode):
    import subprocess
    _, path, _ = simulated
    binary = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
    live, followed, whole = tmp_path / "live.cxi", tmp_path / "followed.h5", tmp_path / "whole.h5"
    with h5py.File(path, "r") as source:
        frames = source["/entry_1/data_1/data"][()]
        mask = source["/entry_1/instrument_1/detector_1/mask"][()]
    writer = start_live_writer(live, frames, mode, mask=mask, pause=0.05)
    r = subprocess.run([binary, "sfx", "peaks", str(live), "--out", str(followed), "--threshold", "100", "--follow",
                        "--poll", "0.05", "--idle-timeout", "1.5", "--progress", "--threads", "2"],
                       capture_output=True, text=True, timeout=120)
    assert writer.wait(timeout=60) == 0
    assert r.returncode == 0, r.stderr
    assert ("followed (SWMR)" if mode == "swmr" else "followed (re-open)") in r.stdout, r.stdout
    assert "sfx peaks: 12 frames" in r.stderr
    xpulse("sfx", "peaks", live, "--out", whole, "--threshold", 100, "--threads", 2)
    with h5py.File(followed, "r") as a, h5py.File(whole, "r") as b:
        for name in ("nPeaks", "peakXPosRaw", "peakTotalIntensity", "hit", "powder"):
            np.testing.assert_array_equal(a["/entry_1/result_1/" + name][()], b["/entry_1/result_1/" + name][()])
