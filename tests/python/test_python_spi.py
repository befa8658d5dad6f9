"""xpulse.simulate_spi, spi_reconstruct and spi_score give what the command line gives, and their errors."""
import os

import h5py
import numpy as np
import pytest

import xpulse as xp

PDB = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")
SIM = dict(images=300, pixels=16, grid=11, photons=1e15, seed=5)
DET = "/entry_1/instrument_1/detector_1/"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, xpulse):
    folder = tmp_path_factory.mktemp("spi")
    path = folder / "sim.h5"
    xpulse("simulate", "spi", "--pdb", PDB, "--out", path, "--images", 300, "--pixels", 16, "--grid", 11,
           "--photons", 1e15, "--seed", 5, "--threads", 2)
    return folder, path, xpulse_simulation()


def xpulse_simulation():
    return xp.simulate_spi(PDB, threads=1, **SIM)


def test_simulation_equals_the_command_lines(simulated):
    _, path, s = simulated
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(s["images"], f["/entry_1/data_1/data"][()])
        np.testing.assert_array_equal(s["q"], f[DET + "q"][()])
        np.testing.assert_array_equal(s["solid_angle"], f[DET + "solid_angle"][()])
        np.testing.assert_array_equal(s["truth"]["density"], f["/truth/density"][()])
        np.testing.assert_array_equal(s["truth"]["orientations"], f["/truth/orientations"][()])
        assert s["truth"]["voxel_size"] == pytest.approx(f["/truth"].attrs["voxel_size"])
    assert s["images"].shape == (300, 16, 16) and s["images"].dtype == np.float32
    assert s["atoms"] > 1000


def test_reconstruction_equals_the_command_lines(simulated, xpulse):
    folder, path, s = simulated
    out = folder / "rec.h5"
    options = ["--grid", 11, "--generations", 3, "--orientations", 300, "--seed", 4, "--threads", 2]
    xpulse("spi", "reconstruct", path, "--out", out, *options)
    records = []
    r = xp.spi_reconstruct(s["images"], s["q"], s["polarization"], s["solid_angle"], grid=11, generations=3,
                               orientations=300, seed=4, threads=2, callback=records.append)
    assert [g["generation"] for g in records] == [0, 1, 2]
    with h5py.File(out, "r") as f:
        for name in ("density", "autocorrelation", "support", "orientations", "scales", "intensity"):
            np.testing.assert_array_equal(r[name], f["/reconstruction/" + name][()], err_msg=name)
        np.testing.assert_array_equal(r["history"]["fourier_error"], f["/history/fourier_error"][()])
        assert r["voxel_size"] == pytest.approx(f["/reconstruction"].attrs["voxel_size"])
    assert r["density"].shape == (11, 11, 11)
    assert r["history"]["merge_seconds"].shape == (3,)
    # The callback may stop the run.
    stopped = xp.spi_reconstruct(s["images"], s["q"], s["polarization"], s["solid_angle"], grid=11,
                                     generations=3, orientations=300, threads=2, callback=lambda g: False)
    assert stopped["history"]["generation"].tolist() == [0]


def test_score_of_the_truth_against_itself_rotated(simulated):
    _, _, s = simulated
    truth = s["truth"]["density"].astype(np.float64)
    turned = np.ascontiguousarray(np.rot90(truth, 1, axes=(1, 2)))
    r = xp.spi_score(turned, s["truth"]["voxel_size"], truth, s["truth"]["voxel_size"], rotations=500,
                         threads=2)
    assert r["cc"] > 0.99
    assert r["fsc"][:3].min() > 0.99
    assert r["aligned"].shape == truth.shape and r["frequency"].shape == r["fsc"].shape


def test_bad_input_raises_with_the_library_messages(simulated):
    _, _, s = simulated
    args = (s["q"], s["polarization"], s["solid_angle"])
    with pytest.raises(ValueError, match=r"images must be an array \[N, ny, nx\]"):
        xp.spi_reconstruct(s["images"][0], *args)
    with pytest.raises(ValueError, match=r"q has shape \(16, 16\); expected \(16, 16, 3\)"):
        xp.spi_reconstruct(s["images"], s["q"][..., 0], *args[1:])
    bad = s["images"].copy()
    bad[3, 2, 5] = np.nan
    with pytest.raises(ValueError, match="image 3 pixel 37 holds nan: counts must be finite and >= 0"):
        xp.spi_reconstruct(bad, *args, grid=11, orientations=10)
    with pytest.raises(ValueError, match="--grid must be odd"):
        xp.spi_reconstruct(s["images"], *args, grid=10)
    with pytest.raises(ValueError, match="must be a cube"):
        xp.spi_score(np.zeros((5, 5, 4)), 1.0, np.zeros((5, 5, 5)), 1.0)
    with pytest.raises(OSError, match="missing.pdb"):
        xp.simulate_spi("missing.pdb", images=2, pixels=8, grid=7)
