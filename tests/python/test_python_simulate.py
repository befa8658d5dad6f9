"""xpulse.simulate_pump_probe: the command line's simulation, in memory."""
import h5py
import numpy as np
import pytest

import xpulse as xp


def test_simulation_equals_the_cli_file_bit_for_bit(tmp_path, xpulse):
    path = tmp_path / "sim.h5"
    xpulse("simulate", "pump-probe", "--out", path, "--shape", "60x24x36", "--delays", "-2:8", "--seed", 11,
           "--noise", "gaussian", "--photons", 500, "--nonuniform")
    s = xp.simulate_pump_probe(shape=(60, 24, 36), delays=(-2, 8), seed=11, noise="gaussian", photons=500,
                               nonuniform=True, threads=2)
    with h5py.File(path) as f:
        assert np.array_equal(s["data"], f["entry_1/data_1/data"][()])
        assert s["data"].dtype == np.float32 and s["data"].shape == (60, 24, 36)
        assert np.array_equal(s["delays"], f["entry_1/data_1/delay"][()])
        assert np.array_equal(s["mask"], f["entry_1/data_1/mask"][()])
        for name, values in s["truth"].items():
            assert np.array_equal(values, f["truth"][name][()], equal_nan=True), name
        assert tuple(f["truth/bragg_hkl"][()]) == s["bragg_hkl"]
        assert tuple(f["truth/bragg_pixel"][()]) == s["bragg_pixel"]
        det = f["entry_1/instrument_1/detector_1"]
        d = s["detector"]
        assert d.shape == (24, 36)
        assert (d.distance, d.x_pixel_size, d.y_pixel_size) == (det["distance"][()], det["x_pixel_size"][()],
                                                                det["y_pixel_size"][()])
        assert (d.beam_center_x, d.beam_center_y) == (det["beam_center_x"][()], det["beam_center_y"][()])
        assert d.energy == f["entry_1/instrument_1/source_1/energy"][()]
        assert np.array_equal(s["crystal"].orientation, f["entry_1/sample_1/orientation_matrix"][()])
        assert np.array_equal(np.array(s["crystal"].cell), f["entry_1/sample_1/unit_cell"][()])


def test_result_does_not_depend_on_the_thread_count():
    a = xp.simulate_pump_probe(shape=(20, 16, 16), seed=3, threads=1)
    b = xp.simulate_pump_probe(shape=(20, 16, 16), seed=3, threads=2)
    assert np.array_equal(a["data"], b["data"])
    c = xp.simulate_pump_probe(shape=(20, 16, 16), seed=4, threads=2)
    assert not np.array_equal(a["data"], c["data"])


def test_the_bragg_reflection_lies_on_its_pixel():
    s = xp.simulate_pump_probe(shape=(20, 32, 32))
    q = s["detector"].q(*s["bragg_pixel"])
    assert np.allclose(s["crystal"].hkl(q), s["bragg_hkl"], atol=1e-9)


def test_a_nyquist_warning_is_returned_not_printed(capfd):
    s = xp.simulate_pump_probe(shape=(40, 16, 16))
    assert any("Nyquist" in w for w in s["warnings"])
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("kwargs, message", [
    (dict(shape=(4, 8, 8)), "--shape needs at least 8 delays, got 4"),
    (dict(delays=(5, 1)), "--delays must be a range START:END with END > START (ps)"),
    (dict(noise="shot"), "--noise 'shot' is not known; use poisson, gaussian or none"),
    (dict(photons=-1), "--photons must be positive, got -1"),
    (dict(threads=0), "threads must be >= 1, got 0"),
])
def test_bad_options_raise_value_error(kwargs, message):
    with pytest.raises(ValueError) as e:
        xp.simulate_pump_probe(**kwargs)
    assert str(e.value) == message
