"""xpulse geometry pixels against an independent numpy computation of CrystFEL's pixel positions, on a 2-panel
and a 16-panel (AGIPD-like: rotated modules with gaps, stacked along ss) geometry; and bad files."""
import os
import subprocess

import h5py
import numpy as np

BIN = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")


def run(*args):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True)


def write_geom(path, panels, res, clen, extra=""):
    """panels: name -> dict(min_fs, max_fs, min_ss, max_ss, fs (3), ss (3), corner_x, corner_y, coffset)."""
    lines = [f"res = {res!r}", f"clen = {clen}", "photon_energy = 9300", "data = /entry_1/data_1/data", extra]
    for name, p in panels.items():
        for key in ("min_fs", "max_fs", "min_ss", "max_ss"):
            lines.append(f"{name}/{key} = {p[key]}")
        for key in ("fs", "ss"):
            lines.append(f"{name}/{key} = " + " ".join(f"{c:+.9f}{axis}" for c, axis in zip(p[key], "xyz")))
        for key in ("corner_x", "corner_y", "coffset"):
            lines.append(f"{name}/{key} = {p[key]!r}")
    path.write_text("\n".join(lines) + "\n")


def numpy_positions(panels, res, clen, shape):
    """CrystFEL's convention, written from its documentation: the pixel centre is the panel corner plus
    (fs - min_fs + 0.5) fs + (ss - min_ss + 0.5) ss, in pixels, divided by res; z = clen + coffset."""
    x, y, z = (np.full(shape, np.nan) for _ in range(3))
    for p in panels.values():
        fs_vec = np.array([float(f"{c:+.9f}") for c in p["fs"]])
        ss_vec = np.array([float(f"{c:+.9f}") for c in p["ss"]])
        ss_i, fs_i = np.mgrid[p["min_ss"]:p["max_ss"] + 1, p["min_fs"]:p["max_fs"] + 1]
        u, v = fs_i - p["min_fs"] + 0.5, ss_i - p["min_ss"] + 0.5
        pos = u[..., None] * fs_vec + v[..., None] * ss_vec
        x[ss_i, fs_i] = (p["corner_x"] + pos[..., 0]) / res
        y[ss_i, fs_i] = (p["corner_y"] + pos[..., 1]) / res
        z[ss_i, fs_i] = clen + p["coffset"] + pos[..., 2] / res
    return x, y, z


def agipd_like():
    rng = np.random.default_rng(2)
    panels = {}
    for m in range(16):
        quadrant, row = divmod(m, 4)
        angle = np.pi * (quadrant >= 2) + rng.normal(0, 0.01)  # two quadrants turned by 180 degrees
        fs = (np.cos(angle), np.sin(angle), rng.normal(0, 1e-3))
        ss = (-np.sin(angle), np.cos(angle), rng.normal(0, 1e-3))
        panels[f"p{m}"] = dict(min_fs=0, max_fs=127, min_ss=512 * m, max_ss=512 * m + 511, fs=fs, ss=ss,
                               corner_x=float((quadrant % 2) * 560 - 540 + rng.normal(0, 2)),
                               corner_y=float(row * 135 - 270 + 30 * (quadrant >= 2) + rng.normal(0, 2)),
                               coffset=float(rng.normal(0, 1e-4)))
    return panels


def two_panels():
    return {"a": dict(min_fs=0, max_fs=255, min_ss=0, max_ss=99, fs=(1, 0, 0), ss=(0, 1, 0), corner_x=-128.0,
                      corner_y=-110.5, coffset=0.0),
            "b": dict(min_fs=0, max_fs=255, min_ss=100, max_ss=199, fs=(0, -1, 0), ss=(1, 0, 0.02), corner_x=15.25,
                      corner_y=140.0, coffset=0.0005)}


def test_pixel_positions_match_numpy(tmp_path):
    for name, panels, shape in [("two", two_panels(), (200, 256)), ("agipd", agipd_like(), (16 * 512, 128))]:
        geom, out = tmp_path / f"{name}.geom", tmp_path / f"{name}.h5"
        res, clen = 5000.0, 0.1234
        write_geom(geom, panels, res, clen)
        r = run("geometry", "pixels", geom, "--out", out)
        assert r.returncode == 0, r.stderr
        with h5py.File(out, "r") as f:
            got = [f[f"/pixels/{axis}"][()] for axis in "xyz"]
            panel = f["/pixels/panel"][()]
            assert f["/pixels/x"].attrs["units"] == "m"
        want = numpy_positions(panels, res, clen, shape)
        for g, w in zip(got, want):
            assert g.shape == shape
            assert np.nanmax(np.abs(g - w)) < 1e-9, name
            assert np.array_equal(np.isnan(g), np.isnan(w))
        assert panel.max() == len(panels) - 1


def test_gaps_are_nan_and_clen_can_be_given(tmp_path):
    panels = two_panels()
    panels["b"]["min_ss"], panels["b"]["max_ss"] = 150, 199  # stored rows 100..149 belong to no panel
    geom = tmp_path / "gap.geom"
    write_geom(geom, panels, 5000.0, "/LCLS/detector_1/EncoderValue")
    r = run("geometry", "pixels", geom, "--out", tmp_path / "nope.h5")
    assert r.returncode == 2 and "give the detector distance" in r.stderr
    assert not os.path.exists(tmp_path / "nope.h5")
    r = run("geometry", "pixels", geom, "--out", tmp_path / "gap.h5", "--clen", 0.2)
    assert r.returncode == 0, r.stderr
    with h5py.File(tmp_path / "gap.h5", "r") as f:
        x, panel = f["/pixels/x"][()], f["/pixels/panel"][()]
        z = f["/pixels/z"][()]
    assert np.isnan(x[120]).all() and (panel[120] == 65535).all()
    assert abs(z[0, 0] - 0.2) < 1e-12


def test_bad_geometry_files(tmp_path):
    geom = tmp_path / "bad.geom"
    good = "res = 5000\nclen = 0.1\np0/min_fs = 0\np0/max_fs = 9\np0/min_ss = 0\np0/max_ss = 9\n" \
           "p0/corner_x = 0\np0/corner_y = 0\n"
    for text, words in [(good + "p0/corner_z = 3\n", "line 9: unknown panel key 'corner_z'"),
                        (good + "p0/max_fs = x\n", "set twice"),
                        (good.replace("p0/max_ss = 9", "p0/max_ss = nine"), "max_ss is 'nine', not a number"),
                        ("res = 5000\n", "no panels")]:
        geom.write_text(text)
        r = run("geometry", "pixels", geom, "--out", tmp_path / "bad.h5")
        assert r.returncode == 2, (text, r.stderr)
        assert words in r.stderr and r.stderr.startswith("xpulse: error: ") and r.stderr.count("\n") == 1, r.stderr
        assert not os.path.exists(tmp_path / "bad.h5")
    r = run("geometry", "pixels", tmp_path / "missing.geom", "--out", tmp_path / "bad.h5")
    assert r.returncode == 2 and "missing.geom" in r.stderr


def test_assemble_places_every_stored_pixel_at_its_position(tmp_path):
    panels = two_panels()
    panels["a"]["corner_y"] = -110.0  # whole-pixel corners: every stored pixel has an assembled pixel of its own
    panels["b"]["ss"] = (1, 0, 0)
    panels["b"]["corner_y"] = 400.0  # clear of panel a in the lab, so no two stored pixels share a place
    geom, pixels, data, out = (tmp_path / n for n in ("two.geom", "pixels.h5", "data.h5", "assembled.h5"))
    write_geom(geom, panels, 5000.0, 0.1)
    assert run("geometry", "pixels", geom, "--out", pixels).returncode == 0
    ss, fs = np.mgrid[0:200, 0:256]
    frames = np.stack([1000.0 * ss + fs + 1, -(1000.0 * ss + fs + 1)]).astype(np.float32)
    with h5py.File(data, "w") as f:
        f["/entry_1/data_1/data"] = frames
    r = run("geometry", "assemble", geom, data, "--out", out)
    assert r.returncode == 0, r.stderr
    with h5py.File(pixels, "r") as f:
        x, y = f["/pixels/x"][()], f["/pixels/y"][()]
    with h5py.File(out, "r") as f:
        image = f["/entry_1/data_1/assembled"]
        assembled, size, x0, y0 = image[()], image.attrs["pixel_size_m"], image.attrs["x0_m"], image.attrs["y0_m"]
    assert assembled.shape[0] == 2
    col = np.rint((x - x0) / size).astype(int)
    row = np.rint((y - y0) / size).astype(int)
    for k in range(2):
        np.testing.assert_array_equal(assembled[k][row, col], frames[k])
    assert np.isnan(assembled[0]).sum() == assembled[0].size - frames[0].size


def test_assemble_bad_input(tmp_path):
    geom, data = tmp_path / "two.geom", tmp_path / "small.h5"
    write_geom(geom, two_panels(), 5000.0, 0.1)
    with h5py.File(data, "w") as f:
        f["/entry_1/data_1/data"] = np.zeros((2, 100, 256), np.float32)  # panel b's rows are missing
    r = run("geometry", "assemble", geom, data, "--out", tmp_path / "a.h5")
    assert r.returncode == 2 and "must be [frames, ss >= 200, fs >= 256]" in r.stderr, r.stderr
    assert not os.path.exists(tmp_path / "a.h5")
    r = run("geometry", "assemble", geom, tmp_path / "none.h5", "--out", tmp_path / "a.h5")
    assert r.returncode == 2 and "none.h5" in r.stderr


def test_bilinear_assembly_reproduces_a_linear_field(tmp_path):
    """Frames whose value is a linear function of each stored pixel's lab position: bilinear assembly gives that
    function at every assembled pixel centre inside a panel's interior (away from its clamped half-pixel rim),
    on panels turned by arbitrary angles and slightly tilted; on whole-pixel layouts it equals nearest-pixel
    assembly."""
    res = 5000.0
    panels = {}
    for m, angle in enumerate([0.3, -1.1, 2.5, 4.0]):
        fs = (np.cos(angle), np.sin(angle), 1e-3)
        ss = (-np.sin(angle), np.cos(angle), -2e-3)
        panels[f"p{m}"] = dict(min_fs=0, max_fs=63, min_ss=48 * m, max_ss=48 * m + 47, fs=fs, ss=ss,
                               corner_x=float(200 * (m % 2) - 100), corner_y=float(200 * (m // 2) - 100),
                               coffset=0.0)
    geom, pixels, data, out = (tmp_path / n for n in ("turned.geom", "pixels.h5", "data.h5", "bilinear.h5"))
    write_geom(geom, panels, res, 0.1)
    assert run("geometry", "pixels", geom, "--out", pixels).returncode == 0
    with h5py.File(pixels, "r") as f:
        x, y = f["/pixels/x"][()] * res, f["/pixels/y"][()] * res  # in pixels
    field = (0.7 * x - 1.3 * y + 5.0).astype(np.float32)
    with h5py.File(data, "w") as f:
        f["/entry_1/data_1/data"] = field[None]
    r = run("geometry", "assemble", geom, data, "--out", out, "--interpolation", "bilinear")
    assert r.returncode == 0, r.stderr
    with h5py.File(out, "r") as f:
        image = f["/entry_1/data_1/assembled"]
        got, size, x0, y0 = image[0], image.attrs["pixel_size_m"], image.attrs["x0_m"], image.attrs["y0_m"]
        assert image.attrs["interpolation"] == "bilinear"
    jj, ii = np.mgrid[0:got.shape[0], 0:got.shape[1]]
    want = 0.7 * (x0 / size + ii) - 1.3 * (y0 / size + jj) + 5.0
    # Interior: assembled pixels whose four neighbours are assembled too, two pixels deep.
    inside = ~np.isnan(got)
    for _ in range(2):
        inside[1:-1, 1:-1] &= inside[:-2, 1:-1] & inside[2:, 1:-1] & inside[1:-1, :-2] & inside[1:-1, 2:]
        inside[[0, -1], :] = False
        inside[:, [0, -1]] = False
    assert inside.sum() > 0.8 * 4 * 48 * 64
    np.testing.assert_allclose(got[inside], want[inside], rtol=0, atol=1e-3)
    r = run("geometry", "assemble", geom, data, "--out", tmp_path / "bad.h5", "--interpolation", "cubic")
    assert r.returncode == 2 and "--interpolation must be nearest or bilinear" in r.stderr

    # Whole-pixel layout: the same image as nearest.
    two = two_panels()
    two["a"]["corner_y"], two["b"]["ss"], two["b"]["corner_y"] = -110.0, (1, 0, 0), 400.0
    two["b"]["corner_x"] = 15.0  # whole pixels: every stored centre on an assembled centre
    write_geom(geom, two, res, 0.1)
    with h5py.File(data, "w") as f:
        f["/entry_1/data_1/data"] = np.random.default_rng(1).random((1, 200, 256), dtype=np.float32)
    images = []
    for mode in ("nearest", "bilinear"):
        assert run("geometry", "assemble", geom, data, "--out", tmp_path / f"{mode}.h5", "--interpolation",
                   mode).returncode == 0
        with h5py.File(tmp_path / f"{mode}.h5", "r") as f:
            images.append(f["/entry_1/data_1/assembled"][0])
    np.testing.assert_array_equal(images[0], images[1])
