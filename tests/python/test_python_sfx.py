"""xpulse.simulate_sfx and xpulse.find_peaks give what the command line gives, and their errors."""
import os

import h5py
import numpy as np
import pytest

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
