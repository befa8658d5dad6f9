"""xpulse.Detector, Crystal, load_geometry, momentum_maps and dispersion: the command line's geometry and
dispersion, in memory."""
import h5py
import numpy as np
import pytest

import xpulse as xp


@pytest.fixture(scope="module")
def phonon_run(tmp_path_factory, xpulse):
    """A simulated stack, its fit, and dispersions by |q - G| and along a path, from the command line."""
    d = tmp_path_factory.mktemp("pydisp")
    sim, fit, by_q, by_path = d / "sim.h5", d / "fit.h5", d / "q.h5", d / "path.h5"
    xpulse("simulate", "pump-probe", "--out", sim, "--shape", "160x48x64", "--seed", 2)
    xpulse("fit", sim, "--out", fit)
    xpulse("dispersion", fit, "--out", by_q, "--q-bins", 24, "--status", "converged,max_iterations", "--min-snr", 4)
    xpulse("dispersion", fit, "--out", by_path, "--path", "G X M G", "--q-bins", 12, "--path-width", 0.1)
    return sim, fit, by_q, by_path


def fit_dict(path):
    with h5py.File(path) as f:
        g = f["fit"]
        return {"frequency": g["frequency"][()], "stderr_frequency": g["stderr/frequency"][()],
                "amplitude": g["amplitude"][()], "stderr_amplitude": g["stderr/amplitude"][()],
                "chi2": g["chi2"][()], "status": g["status"][()]}


def same(a, b):
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("which", ["q", "path"])
def test_dispersion_equals_the_cli_bit_for_bit(phonon_run, which):
    sim, fit, by_q, by_path = phonon_run
    detector, crystal = xp.load_geometry(sim, shape=(48, 64))
    with h5py.File(sim) as f:
        truth = f["truth/frequency"][()].astype(np.float64) / f["truth"].attrs["harmonic"]
    if which == "q":
        out = by_q
        r = xp.dispersion(fit_dict(fit), detector, crystal, q_bins=24, status="converged,max_iterations", min_snr=4,
                          truth=truth, threads=2)
    else:
        out = by_path
        r = xp.dispersion(fit_dict(fit), detector, crystal, path="G X M G", q_bins=12, path_width=0.1, truth=truth)
    with h5py.File(out) as f:
        d = f["dispersion"]
        for k in ("q", "q_mean", "q_edges", "frequency", "frequency_err", "frequency_std", "count", "truth_frequency"):
            assert same(r[k], d[k][()]), k
        assert r["count"].dtype == d["count"].dtype
        assert r["coordinate_label"] == d.attrs["coordinate"]
        assert r["selection"] == d.attrs["selection"]
        assert same(r["used"], f["maps/used"][()])
        assert same(r["phonon_frequency"].astype(np.float32), f["maps/phonon_frequency"][()])
        if which == "path":
            assert same(r["path_positions"], d["path_positions"][()])
            assert " ".join(r["path_labels"]) == d["path_positions"].attrs["labels"]
        # The per-pixel maps of the same geometry.
        m = xp.momentum_maps(detector, crystal, path="G X M G" if which == "path" else "",
                             path_width=0.1 if which == "path" else 0.0)
        for k in ("q", "hkl", "q_reduced", "polarization", "solid_angle"):
            assert same(m[k], f["maps"][k][()]), k
        assert same(m["coordinate"].astype(np.float32), f["maps/coordinate"][()])
    assert r["count"].sum() == r["used"].sum()


def test_detector_geometry_matches_closed_forms():
    d = xp.Detector((100, 120), 0.2, (75e-6, 50e-6), (40.0, 60.0), 12398.419843320026, polarization_fraction=1.0)
    assert d.wavelength == pytest.approx(1.0, rel=1e-15)
    assert np.allclose(d.q(40.0, 60.0), 0.0, atol=1e-15)
    assert d.two_theta(40.0, 60.0) == 0.0 and d.polarization(40.0, 60.0) == 1.0
    # Along x (the polarisation direction): 2theta = atan(n px / D), P = cos^2(2theta); along y, P = 1.
    n = np.arange(1, 50)
    tth = d.two_theta(40.0, 60.0 + n)
    assert np.allclose(tth, np.arctan(n * 50e-6 / 0.2), rtol=1e-13)
    assert np.allclose(d.polarization(40.0, 60.0 + n), np.cos(tth) ** 2, rtol=1e-13)
    assert np.allclose(d.polarization(40.0 + n, 60.0), 1.0, rtol=1e-13)
    assert np.allclose(np.linalg.norm(d.q(40.0, 60.0 + n), axis=-1), 4 * np.pi * np.sin(tth / 2), rtol=1e-13)
    # Solid angle: area cos^3(2theta) / D^2 for pixels along a row through the beam centre.
    assert np.allclose(d.solid_angle(40.0, 60.0 + n), 75e-6 * 50e-6 * np.cos(tth) ** 3 / 0.04, rtol=1e-12)
    # Whole-grid maps have the detector's shape, and broadcasting works.
    assert d.q().shape == (100, 120, 3) and d.two_theta().shape == (100, 120)
    assert d.solid_angle(np.arange(3)[:, None], np.arange(4)[None, :]).shape == (3, 4)
    assert np.array_equal(d.q()[7, 9], d.q(7, 9))
    # A tilt about the beam axis (z) rotates q about it and leaves |q| unchanged.
    t = xp.Detector((100, 120), 0.2, (75e-6, 50e-6), (40.0, 60.0), 12398.419843320026, tilt=(0, 0, 90))
    assert np.allclose(t.q(40.0, 70.0), [0.0, d.q(40.0, 70.0)[0], d.q(40.0, 70.0)[2]], atol=1e-12)


def test_crystal_indexing_round_trips_and_symmetry():
    c = xp.Crystal((4.0, 5.0, 6.0, 90, 100, 90), euler=(10, 20, 30))
    hkl = np.array([[1, 0, 0], [1, 2, 3], [-2, 1, 0.5]])
    assert np.allclose(c.hkl(c.q(hkl)), hkl, atol=1e-12)
    assert np.allclose(c.q(hkl), 2 * np.pi * hkl @ c.ub.T, atol=1e-12)
    assert np.allclose(xp.Crystal.from_ub(c.ub).cell, c.cell, rtol=1e-10)
    near = c.nearest(c.q(hkl + 0.1))
    assert np.array_equal(near["hkl"][:2], [[1, 0, 0], [1, 2, 3]])
    assert near["hkl"].dtype == np.int32
    assert np.allclose(near["reduced_hkl"][:2], 0.1)
    assert np.allclose(near["reduced_norm"], np.linalg.norm(near["reduced_q"], axis=-1))
    assert c.point_group.shape == (4, 3, 3)  # monoclinic: 2/m
    assert xp.Crystal((4, 4, 4, 90, 90, 90)).point_group.shape == (48, 3, 3)
    assert xp.Crystal((4, 4, 7, 90, 90, 90)).point_group.shape == (16, 3, 3)


@pytest.mark.parametrize("call, error, message", [
    (lambda: xp.Detector((4, 4), -1, 1e-4, (0, 0), 9500), ValueError,
     "detector distance must be a positive number of metres, got -1"),
    (lambda: xp.Detector((4, 4), 0.1, 1e-4, (0, 0), 9500, rotation=np.eye(3), tilt=(1, 0, 0)), ValueError,
     "rotation or its tilt, not both"),
    (lambda: xp.Detector((4, 4), 0.1, (1e-4, 1e-4, 1e-4), (0, 0), 9500), ValueError,
     "pixel_size (y, x) has shape (3); expected (2)"),
    (lambda: xp.Crystal((4, 4, 4, 90, 90, 90), np.zeros((3, 3))), ValueError,
     "sample orientation U must be a proper rotation matrix"),
    (lambda: xp.Crystal((4, 4, -4, 90, 90, 90)), ValueError, "cell"),
    (lambda: xp.Crystal((4, 4, 4, 90, 90, 90)).hkl(np.zeros((5, 2))), ValueError,
     "q must be an array of 3-vectors (last axis of length 3)"),
    (lambda: xp.load_geometry("/nonexistent/x.h5", shape=(4, 4)), OSError, "does not exist"),
    (lambda: xp.load_geometry(shape=(4, 4)), ValueError, "geometry: detector distance is missing"),
    (lambda: xp.momentum_maps(xp.Detector((4, 4), 0.1, 1e-4, (0, 0), 9500), path="G X"), ValueError,
     "--path needs the sample's unit cell and orientation"),
])
def test_bad_geometry_raises_with_a_clear_message(call, error, message):
    with pytest.raises(error) as e:
        call()
    assert message in str(e.value)


def test_bad_dispersion_input_raises_with_a_clear_message(phonon_run):
    sim, fit, _, _ = phonon_run
    detector, crystal = xp.load_geometry(sim, shape=(48, 64))
    f = fit_dict(fit)
    with pytest.raises(ValueError, match="--harmonic must be a positive integer"):
        xp.dispersion(f, detector, crystal, harmonic=0)
    with pytest.raises(ValueError, match="fit has no 'chi2': pass the dict returned by fit_damped_cosine"):
        xp.dispersion({k: v for k, v in f.items() if k != "chi2"}, detector, crystal)
    with pytest.raises(ValueError, match=r"fit\['frequency'\] must be a \[48, 64\] array"):
        xp.dispersion(dict(f, frequency=f["frequency"][:10]), detector, crystal)
    with pytest.raises(ValueError, match="no pixel passes the quality thresholds"):
        xp.dispersion(f, detector, crystal, min_snr=1e9)
    with pytest.raises(ValueError, match="--status 'fine' is not a fit status"):
        xp.dispersion(f, detector, crystal, status="fine")
