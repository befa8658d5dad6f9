"""xpulse.simulate_ptycho, ptycho_reconstruct and ptycho_score give what the command line gives, and their errors."""
import h5py
import numpy as np
import pytest

import xpulse as xp

SIM = dict(object_size=160, probe_size=48, positions=64, scan="spiral", noise=False, seed=3)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, xpulse):
    folder = tmp_path_factory.mktemp("ptycho")
    path = folder / "sim.cxi"
    xpulse("simulate", "ptycho", "--out", path, "--object-size", 160, "--probe-size", 48, "--positions", 64,
           "--scan", "spiral", "--no-noise", "--seed", 3, "--threads", 2)
    return folder, path, xp.simulate_ptycho(threads=1, **SIM)


def test_simulation_equals_the_command_lines(simulated):
    _, path, s = simulated
    with h5py.File(path, "r") as f:
        np.testing.assert_array_equal(s["intensities"], f["/entry_1/instrument_1/detector_1/data"][()])
        np.testing.assert_array_equal(s["object"], f["/truth/object"][()])
        np.testing.assert_array_equal(s["probe"], f["/truth/probe"][()])
        np.testing.assert_array_equal(s["positions"], f["/truth/positions"][()])
    assert s["object"].dtype == np.complex64 and s["intensities"].shape == (64, 48, 48)


def test_reconstruction_equals_the_command_lines_and_reaches_the_truth(simulated, xpulse):
    folder, path, s = simulated
    out = folder / "rec.h5"
    xpulse("ptycho", "reconstruct", path, "--out", out, "--algorithm", "ml", "--iterations", 40, "--probe",
           f"{path}:/truth/probe", "--warm-up", 0, "--fixed-probe", "--threads", 2)
    # The command line's object starts at the smallest translation: the same offsets as the positions here.
    positions = s["positions"] - s["positions"].min(axis=0)
    costs = []
    r = xp.ptycho_reconstruct(s["intensities"], positions, probe=s["probe"], algorithm="ml", iterations=40,
                              warm_up=0, probe_refine=False, threads=1, callback=lambda g: costs.append(g["cost"]))
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(r["object"], f["/reconstruction/object"][()])
        np.testing.assert_array_equal(r["history"]["cost"], f["/history/cost"][()])
    assert len(costs) == 40 and costs[-1] < 1e-6 * costs[0]
    top, left = s["positions"].min(axis=0)
    truth = s["object"][top:top + r["object"].shape[0], left:left + r["object"].shape[1]]
    score = xp.ptycho_score(r["object"], truth, probe=s["probe"], positions=positions)
    assert score["error"] < 1e-3 and score["phase_ssim"] > 0.999
    stopped = xp.ptycho_reconstruct(s["intensities"], positions, iterations=5, callback=lambda g: False)
    assert stopped["history"]["cost"].shape == (1,)


def test_dm_settling_and_rpie_are_the_command_lines(simulated, xpulse):
    folder, path, s = simulated
    positions = s["positions"] - s["positions"].min(axis=0)
    for algorithm, flags, kwargs in [("dm", ["--dm-settle", 0.5], dict(dm_settle=0.5)),
                                     ("epie", ["--rpie", 0.5], dict(rpie=0.5))]:
        out = folder / f"{algorithm}.h5"
        xpulse("ptycho", "reconstruct", path, "--out", out, "--algorithm", algorithm, "--iterations", 10, "--probe",
               f"{path}:/truth/probe", *flags, "--threads", 1)
        r = xp.ptycho_reconstruct(s["intensities"], positions, probe=s["probe"], algorithm=algorithm, iterations=10,
                                  threads=1, **kwargs)
        with h5py.File(out, "r") as f:
            np.testing.assert_array_equal(r["object"], f["/reconstruction/object"][()])
            np.testing.assert_array_equal(r["history"]["step"], f["/history/step"][()])
        if algorithm == "dm":  # alpha 1 for 5 iterations, then 1, 0.8, ..., 0.2
            np.testing.assert_allclose(r["history"]["step"], [1] * 5 + [1, 0.8, 0.6, 0.4, 0.2], atol=1e-6)
    with pytest.raises(ValueError, match=r"--dm-settle must be in \[0, 1\], got 2"):
        xp.ptycho_reconstruct(s["intensities"], positions, algorithm="dm", dm_settle=2)


def test_bad_input_raises_with_the_library_messages(simulated):
    _, _, s = simulated
    with pytest.raises(ValueError, match=r"intensities must be an array \[N, n, n\] of square frames"):
        xp.ptycho_reconstruct(s["intensities"][0], s["positions"])
    with pytest.raises(ValueError, match="63 positions for 64 frames"):
        xp.ptycho_reconstruct(s["intensities"], s["positions"][:63])
    with pytest.raises(ValueError, match="--algorithm 'pie' is not known"):
        xp.ptycho_reconstruct(s["intensities"], s["positions"], algorithm="pie")
    with pytest.raises(ValueError, match="outside the"):
        xp.ptycho_reconstruct(s["intensities"], s["positions"], object_shape=(60, 60))
    with pytest.raises(ValueError, match="probe has the wrong shape"):
        xp.ptycho_reconstruct(s["intensities"], s["positions"], probe=np.ones((64, 64), np.complex64))
    with pytest.raises(ValueError, match="--overlap must be in"):
        xp.simulate_ptycho(overlap=1.5)
    with pytest.raises(ValueError, match="give region, or probe and positions"):
        xp.ptycho_score(s["object"], s["object"])
