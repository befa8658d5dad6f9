"""Figures from xpulse outputs (python/xpulse/plot.py and the xpulse-plot command)."""
import os
import subprocess

import h5py
import numpy as np
import pytest

import matplotlib.image

from xpulse import plot

PLOT = os.environ.get("XPULSE_PLOT", os.path.join(os.path.dirname(__file__), "..", "..", "python", "bin",
                                                  "xpulse-plot"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, xpulse):
    d = tmp_path_factory.mktemp("plot")
    files = {k: d / f"{k}.h5" for k in ("sim", "fit", "disp", "spec")}
    xpulse("simulate", "pump-probe", "--out", files["sim"], "--shape", "120x48x64", "--seed", 2)
    xpulse("fit", files["sim"], "--out", files["fit"])
    xpulse("dispersion", files["fit"], "--out", files["disp"], "--q-bins", 15)
    xpulse("spectra", files["sim"], "--out", files["spec"], "--q-bins", 15)
    return files


def assert_drawn(path, width, height, colours=200, white=0.9):
    """The PNG exists, has the expected size and shows a picture, not a blank canvas (line plots: fewer colours
    and more white than images)."""
    assert os.path.exists(path)
    assert not os.path.exists(str(path) + ".partial.png")
    image = matplotlib.image.imread(path)
    assert image.shape[:2] == (height, width)
    rgb = image[..., :3].reshape(-1, 3)
    assert rgb.std() > 0.05
    assert len(np.unique(np.round(rgb * 255).astype(int), axis=0)) > colours  # colour maps or lines, not just text
    assert np.mean(np.all(rgb > 0.98, axis=1)) < white  # mostly not white


def test_fit_maps(outputs, tmp_path):
    out = tmp_path / "maps.png"
    plot.fit_maps(str(outputs["fit"]), str(out))
    assert_drawn(out, 1800, 1080)


def test_dispersion_over_spectra_and_alone(outputs, tmp_path):
    out = tmp_path / "disp.png"
    plot.dispersion(str(outputs["disp"]), str(out), spectra=str(outputs["spec"]))
    assert_drawn(out, 1200, 825)
    alone = tmp_path / "alone.png"
    plot.dispersion(str(outputs["disp"]), str(alone))
    image = matplotlib.image.imread(alone)
    assert image.shape[:2] == (825, 1200)
    assert image[..., :3].std() > 0.05


def test_spectra_and_trace(outputs, tmp_path):
    plot.spectra(str(outputs["spec"]), str(tmp_path / "spec.png"))
    assert_drawn(tmp_path / "spec.png", 1200, 825)
    y, x = plot.best_pixel(str(outputs["fit"]))
    with h5py.File(outputs["fit"]) as f:
        assert f["fit/status"][y, x] == 0
    plot.trace(str(outputs["sim"]), str(outputs["fit"]), (y, x), str(tmp_path / "trace.png"))
    image = matplotlib.image.imread(tmp_path / "trace.png")
    assert image.shape[:2] == (900, 1350)
    assert image[..., :3].std() > 0.05


def test_command_writes_png_and_pdf(outputs, tmp_path):
    r = subprocess.run([PLOT, "all", "--data", outputs["sim"], "--fit", outputs["fit"], "--dispersion",
                        outputs["disp"], "--spectra", outputs["spec"], "--out-dir", tmp_path, "--format", "pdf"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for name in ("fit_maps", "trace", "dispersion", "spectra"):
        with open(tmp_path / f"{name}.pdf", "rb") as f:
            assert f.read(5) == b"%PDF-"
    r = subprocess.run([PLOT, "trace", outputs["sim"], "--fit", outputs["fit"], "--pixel", "3,4", "--out",
                        tmp_path / "t.png"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"xpulse-plot: wrote {tmp_path / 't.png'}"


@pytest.mark.parametrize("args, message", [
    (["maps", "{missing}", "--out", "{out}"], "does not exist"),
    (["maps", "{sim}", "--out", "{out}"], "has no /fit group: not an output of 'xpulse fit'"),
    (["maps", "{fit}", "--out", "{dir}/x.jpg"], "must end in .png or .pdf"),
    (["trace", "{sim}", "--fit", "{fit}", "--pixel", "999,0", "--out", "{out}"], "--pixel 999,0 is outside"),
    (["dispersion", "{fit}", "--out", "{out}"], "has no /dispersion group"),
])
def test_bad_input_is_one_line_and_exit_2(outputs, tmp_path, args, message):
    names = {"missing": tmp_path / "none.h5", "out": tmp_path / "o.png", "dir": tmp_path, **outputs}
    r = subprocess.run([PLOT, *[a.format(**names) for a in args]], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.startswith("xpulse-plot: error: ")
    assert message in r.stderr
    assert r.stderr.count("\n") == 1
    assert not os.path.exists(tmp_path / "o.png")


@pytest.fixture(scope="module")
def spi_outputs(tmp_path_factory, xpulse):
    d = tmp_path_factory.mktemp("spi_plot")
    files = {k: d / f"{k}.h5" for k in ("sim", "rec", "score")}
    pdb = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")
    xpulse("simulate", "spi", "--pdb", pdb, "--out", files["sim"], "--images", 300, "--pixels", 16, "--grid", 11,
           "--photons", 1e15, "--seed", 5, "--threads", 2)
    xpulse("spi", "reconstruct", files["sim"], "--out", files["rec"], "--grid", 11, "--generations", 3,
           "--orientations", 300, "--threads", 2)
    xpulse("spi", "score", files["rec"], "--truth", files["sim"], "--out", files["score"], "--rotations", 200,
           "--threads", 2)
    return files


def test_spi_slices_history_and_fsc(spi_outputs, tmp_path):
    plot.spi(str(spi_outputs["rec"]), str(tmp_path / "alone.png"))
    assert_drawn(tmp_path / "alone.png", 2040, 504)
    r = subprocess.run([PLOT, "spi", spi_outputs["rec"], "--score", spi_outputs["score"], "--out",
                        tmp_path / "scored.png"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert_drawn(tmp_path / "scored.png", 2040, 1008)
    r = subprocess.run([PLOT, "spi", spi_outputs["score"], "--out", tmp_path / "bad.png"], capture_output=True,
                       text=True)
    assert r.returncode == 2
    assert r.stderr == (f"xpulse-plot: error: '{spi_outputs['score']}' has no /reconstruction group: not an output "
                        "of 'xpulse spi reconstruct'\n")
    r = subprocess.run([PLOT, "spi", spi_outputs["rec"], "--score", spi_outputs["rec"], "--out",
                        tmp_path / "bad.png"], capture_output=True, text=True)
    assert r.returncode == 2 and "has no /score group" in r.stderr
    assert not os.path.exists(tmp_path / "bad.png")


def test_ptycho_object_probe_and_cost(tmp_path, xpulse):
    sim, rec = tmp_path / "sim.cxi", tmp_path / "rec.h5"
    xpulse("simulate", "ptycho", "--out", sim, "--object-size", 160, "--probe-size", 48, "--positions", 64,
           "--scan", "spiral", "--threads", 2)
    xpulse("ptycho", "reconstruct", sim, "--out", rec, "--iterations", 20, "--warm-up", 5, "--probe",
           f"{sim}:/truth/probe", "--threads", 2)
    r = subprocess.run([PLOT, "ptycho", rec, "--out", tmp_path / "p.png"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert_drawn(tmp_path / "p.png", 2640, 552)
    # An output written before the history recorded the engines still draws.
    with h5py.File(rec, "a") as f:
        del f["/history/algorithm"], f["/history/probe_refined"]
        del f["/reconstruction"].attrs["expected_cost"]
    r = subprocess.run([PLOT, "ptycho", rec, "--out", tmp_path / "old.png"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert_drawn(tmp_path / "old.png", 2640, 552)
    r = subprocess.run([PLOT, "ptycho", sim, "--out", tmp_path / "bad.png"], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr == (f"xpulse-plot: error: '{sim}' has no /reconstruction/object: not an output of "
                        "'xpulse ptycho reconstruct'\n")
    assert not os.path.exists(tmp_path / "bad.png")


def test_sfx_frame_powder_and_hit_rate(tmp_path, xpulse):
    pdb = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")
    sim, peaks = tmp_path / "sim.cxi", tmp_path / "peaks.h5"
    xpulse("simulate", "sfx", "--pdb", pdb, "--out", sim, "--frames", 10, "--pixels", "256x256", "--hit-fraction",
           0.5, "--threads", 2)
    xpulse("sfx", "peaks", sim, "--out", peaks, "--threshold", 100, "--threads", 2)
    r = subprocess.run([PLOT, "sfx", sim, "--peaks", peaks, "--out", tmp_path / "s.png"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert_drawn(tmp_path / "s.png", 2280, 720)
    r = subprocess.run([PLOT, "sfx", sim, "--peaks", sim, "--out", tmp_path / "bad.png"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "not an output of 'xpulse sfx peaks'" in r.stderr
    r = subprocess.run([PLOT, "sfx", sim, "--peaks", peaks, "--frame", "99", "--out", tmp_path / "bad.png"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "--frame 99 is outside the 10 frames" in r.stderr
    assert not os.path.exists(tmp_path / "bad.png")


def test_sfx_predicted_reflections_and_indexed_peaks(tmp_path, xpulse):
    pdb = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")
    sim, out = tmp_path / "sim.cxi", tmp_path / "reflections.h5"
    xpulse("simulate", "sfx", "--pdb", pdb, "--out", sim, "--frames", 6, "--pixels", "512x512", "--hit-fraction",
           0.7, "--second-lattice-fraction", 0.5, "--seed", 3, "--threads", 2)
    xpulse("sfx", "process", sim, "--cell", "131.448,88.701,115.912,90,105.33,90", "--centering", "C", "--multi", 2,
           "--out", out, "--threads", 2)
    r = subprocess.run([PLOT, "sfx", sim, "--reflections", out, "--out", tmp_path / "i.png"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert_drawn(tmp_path / "i.png", 1680, 780)
    r = subprocess.run([PLOT, "sfx", sim, "--reflections", sim, "--out", tmp_path / "bad.png"], capture_output=True,
                       text=True)
    assert r.returncode == 2 and "not an output of 'xpulse sfx process'" in r.stderr
    assert not os.path.exists(tmp_path / "bad.png")


def test_sfx_merge_statistics(tmp_path, xpulse):
    pdb = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")
    sim, table, merged = tmp_path / "sim.cxi", tmp_path / "reflections.h5", tmp_path / "merged.mtz"
    xpulse("simulate", "sfx", "--pdb", pdb, "--out", sim, "--frames", 40, "--pixels", "512x512", "--hit-fraction",
           1, "--seed", 3, "--threads", 2)
    xpulse("sfx", "process", sim, "--cell", "131.448,88.701,115.912,90,105.33,90", "--centering", "C", "--out",
           table, "--threads", 2)
    xpulse("sfx", "merge", table, "--point-group", "2", "--out", merged, "--shells", 5)
    r = subprocess.run([PLOT, "sfx-stats", str(merged) + ".stats.h5", "--out", tmp_path / "s.png"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert_drawn(tmp_path / "s.png", 1320, 900, colours=30, white=0.97)
    r = subprocess.run([PLOT, "sfx-stats", table, "--out", tmp_path / "bad.png"], capture_output=True, text=True)
    assert r.returncode == 2 and "not an output of 'xpulse sfx merge'" in r.stderr
    assert not os.path.exists(tmp_path / "bad.png")


def test_weather_of_a_recorded_run(tmp_path):
    binary = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
    db = tmp_path / "runs.db"
    env = dict(os.environ, XPULSE_DB=str(db))
    subprocess.run([binary, "simulate", "pump-probe", "--out", tmp_path / "s.h5", "--shape", "30x24x16"], env=env,
                   check=True, capture_output=True)
    subprocess.run([binary, "fit", tmp_path / "s.h5", "--out", tmp_path / "f.h5", "--unit-rows", "2"], env=env,
                   check=True, capture_output=True)
    r = subprocess.run([PLOT, "weather", "2", "--db", db, "--out", tmp_path / "w.png"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    image = matplotlib.image.imread(tmp_path / "w.png")
    assert image.shape[:2] == (204, 1320) and image[..., :3].std() > 0.05  # one rank: 1.7 in x 120 dpi
    for args, message in ((["1"], "run 1 (simulate pump-probe) recorded no work units"),
                          (["7"], "run 7 is not in"),
                          (["2", "--db", tmp_path / "none.db"], "does not exist")):
        r = subprocess.run([PLOT, "weather", *args, *([] if "--db" in args else ["--db", db]), "--out",
                            tmp_path / "bad.png"], capture_output=True, text=True)
        assert r.returncode == 2 and message in r.stderr, r.stderr
    assert not os.path.exists(tmp_path / "bad.png")


def test_assembled_frame_in_lab_coordinates(tmp_path, xpulse):
    """Two panels assembled by 'xpulse geometry assemble', drawn with lab axes; bad frame and bad file."""
    geom, data, images = tmp_path / "two.geom", tmp_path / "data.h5", tmp_path / "assembled.h5"
    lines = ["res = 5000", "clen = 0.1"]
    for name, (min_ss, corner) in {"a": (0, (-70.0, -60.0)), "b": (50, (10.0, -60.0))}.items():
        lines += [f"{name}/min_fs = 0", f"{name}/max_fs = 59", f"{name}/min_ss = {min_ss}",
                  f"{name}/max_ss = {min_ss + 49}", f"{name}/fs = +1y", f"{name}/ss = +1x",
                  f"{name}/corner_x = {corner[0]}", f"{name}/corner_y = {corner[1]}"]
    geom.write_text("\n".join(lines) + "\n")
    ss, fs = np.mgrid[0:100, 0:60]
    with h5py.File(data, "w") as f:
        f["/entry_1/data_1/data"] = np.stack([np.hypot(ss - 50.0, fs - 30.0), ss + fs]).astype(np.float32) + 1
    xpulse("geometry", "assemble", geom, data, "--out", images, "--interpolation", "bilinear")
    r = subprocess.run([PLOT, "assembled", images, "--frame", "1", "--log", "--out", tmp_path / "a.png"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert_drawn(tmp_path / "a.png", 840, 744)
    r = subprocess.run([PLOT, "assembled", images, "--frame", "2", "--out", tmp_path / "bad.png"],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "frame 2 is outside" in r.stderr and r.stderr.count("\n") == 1
    r = subprocess.run([PLOT, "assembled", data, "--out", tmp_path / "bad.png"], capture_output=True, text=True)
    assert r.returncode == 2 and "has no dataset '/entry_1/data_1/assembled'" in r.stderr
    assert not os.path.exists(tmp_path / "bad.png")
