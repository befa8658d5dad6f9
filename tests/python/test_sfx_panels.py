"""xpulse sfx peaks --geometry FILE.geom: peakfinder8 per panel of a CrystFEL geometry. The same simulated frames,
cut into four panels stored in another order (two turned by 180 degrees) and placed back by a .geom, give the
flat detector's peaks wherever a peak's region and background lie within one panel; one panel covering the frame
gives the flat result exactly; bad regions are masked; mismatched geometry is a one-line error."""
import os
import subprocess

import h5py
import numpy as np
import pytest

BIN = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
PDB = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")
NY, NX = 256, 320


def run(*args):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True)


def peaks(path):
    with h5py.File(path, "r") as f:
        n = f["/entry_1/result_1/nPeaks"][()]
        x, y = f["/entry_1/result_1/peakXPosRaw"][()], f["/entry_1/result_1/peakYPosRaw"][()]
        total = f["/entry_1/result_1/peakTotalIntensity"][()]
    return [np.stack([x[i, :n[i]], y[i, :n[i]], total[i, :n[i]]], axis=1) for i in range(len(n))]


@pytest.fixture(scope="module")
def flat(tmp_path_factory):
    folder = tmp_path_factory.mktemp("panels")
    sim = folder / "flat.cxi"
    r = run("simulate", "sfx", "--pdb", PDB, "--out", sim, "--frames", 6, "--pixels", f"{NY}x{NX}",
            "--hit-fraction", 1, "--seed", 11, "--threads", 2)
    assert r.returncode == 0, r.stderr
    with h5py.File(sim, "r") as f:
        frames = f["/entry_1/data_1/data"][()]
        det = "/entry_1/instrument_1/detector_1/"
        cx, cy = f[det + "beam_center_x"][()], f[det + "beam_center_y"][()]
    out = folder / "flat_peaks.h5"
    r = run("sfx", "peaks", sim, "--out", out, "--threshold", 100, "--threads", 2)
    assert r.returncode == 0, r.stderr
    return folder, frames, float(cx), float(cy), peaks(out)


def panel_lines(name, min_ss, max_ss, width, fs, ss, corner):
    return [f"{name}/min_fs = 0", f"{name}/max_fs = {width - 1}", f"{name}/min_ss = {min_ss}",
            f"{name}/max_ss = {max_ss}", f"{name}/fs = {fs}", f"{name}/ss = {ss}",
            f"{name}/corner_x = {corner[0]!r}", f"{name}/corner_y = {corner[1]!r}"]


def write_cxi(path, frames):
    with h5py.File(path, "w") as f:
        f["/entry_1/data_1/data"] = frames


def test_one_panel_geom_gives_the_flat_peaks(flat):
    folder, frames, cx, cy, want = flat
    geom = folder / "one.geom"
    # Stored pixel (fs, ss) at lab (fs - cx, ss - cy) pixels: the corner is half a pixel before pixel 0's centre.
    geom.write_text("\n".join(["res = 10000", "clen = 0.1"] +
                              panel_lines("p0", 0, NY - 1, NX, "+1x", "+1y", (-cx - 0.5, -cy - 0.5))) + "\n")
    out = folder / "one_peaks.h5"
    r = run("sfx", "peaks", folder / "flat.cxi", "--out", out, "--threshold", 100, "--threads", 2, "--geometry", geom)
    assert r.returncode == 0, r.stderr
    assert "1 panels of" in r.stdout
    got = peaks(out)
    assert sum(len(p) for p in want) > 50
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_four_panels_in_another_order_give_the_flat_peaks(flat):
    folder, frames, cx, cy, want = flat
    h, w = NY // 2, NX // 2
    # Quadrant (qy, qx) of the flat frame, stored as block b along ss; blocks 1 and 3 turned by 180 degrees.
    order = [(1, 1), (0, 0), (1, 0), (0, 1)]
    stored = np.zeros((frames.shape[0], 4 * h, w), frames.dtype)
    lines = ["res = 10000", "clen = 0.1"]
    for b, (qy, qx) in enumerate(order):
        block = frames[:, qy * h:(qy + 1) * h, qx * w:(qx + 1) * w]
        turned = b % 2 == 1
        stored[:, b * h:(b + 1) * h] = block[:, ::-1, ::-1] if turned else block
        # Lab position of the first stored pixel's outer corner, in pixels from the beam.
        if turned:
            corner = (qx * w + w - 1 - cx + 0.5, qy * h + h - 1 - cy + 0.5)
            fs, ss = "-1x", "-1y"
        else:
            corner = (qx * w - cx - 0.5, qy * h - cy - 0.5)
            fs, ss = "+1x", "+1y"
        lines += panel_lines(f"q{b}", b * h, b * h + h - 1, w, fs, ss, corner)
    geom = folder / "four.geom"
    geom.write_text("\n".join(lines) + "\n")
    data = folder / "four.cxi"
    write_cxi(data, stored)
    out = folder / "four_peaks.h5"
    r = run("sfx", "peaks", data, "--out", out, "--threshold", 100, "--threads", 2, "--geometry", geom)
    assert r.returncode == 0, r.stderr
    got = peaks(out)

    def to_flat(x, y):  # stored centroid -> flat frame coordinates
        b = int(y // h)
        qy, qx = order[b]
        yy = y - b * h
        if b % 2 == 1:
            return qx * w + (w - 1 - x), qy * h + (h - 1 - yy)
        return qx * w + x, qy * h + yy

    compared = 0
    for g, wanted in zip(got, want):
        mapped = {(round(a, 3), round(c, 3)): t for a, c, t in (( *to_flat(x, y), t) for x, y, t in g)}
        for x, y, t in wanted:
            # Away from the panel edges (region plus the 3-pixel background ring), nothing changes.
            ex, ey = x % w, y % h
            if min(ex, w - 1 - ex, ey, h - 1 - ey) < 6:
                continue
            key = (round(float(x), 3), round(float(y), 3))
            assert key in mapped, (key, sorted(mapped)[:5])
            assert abs(mapped[key] - t) <= 1e-3 * abs(t)
            compared += 1
    assert compared > 30
    # And no peak crosses a panel edge: every peak's centroid maps inside its own quadrant.
    for g in got:
        for x, y, _ in g:
            assert 0 <= x <= w - 1 and 0 <= y % h <= h - 1


def test_bad_regions_mask_their_pixels(flat):
    folder, frames, cx, cy, want = flat
    geom = folder / "bad.geom"
    # Everything right of the beam (lab x > 0) is a bad region; one panel.
    geom.write_text("\n".join(["res = 10000", "clen = 0.1"] +
                              panel_lines("p0", 0, NY - 1, NX, "+1x", "+1y", (-cx - 0.5, -cy - 0.5)) +
                              ["bad_right/min_x = 0", "bad_right/max_x = 10000", "bad_right/min_y = -10000",
                               "bad_right/max_y = 10000"]) + "\n")
    out = folder / "bad_peaks.h5"
    r = run("sfx", "peaks", folder / "flat.cxi", "--out", out, "--threshold", 100, "--threads", 2, "--geometry", geom)
    assert r.returncode == 0, r.stderr
    got = peaks(out)
    assert sum(len(p) for p in got) > 10
    for g in got:
        assert (g[:, 0] < cx).all()
    with h5py.File(out, "r") as f:
        powder = f["/entry_1/result_1/powder"][()]
    assert (powder[:, int(np.ceil(cx)) + 1:] == 0).all()


def test_geometry_that_does_not_fit_the_frames(flat, tmp_path):
    folder, frames, cx, cy, _ = flat
    cases = [("\n".join(["res = 10000", "clen = 0.1"] + panel_lines("p0", 0, NY - 2, NX, "+1x", "+1y", (0, 0))),
              f"describes frames of {NY - 1}x{NX} stored pixels; the frames are {NY}x{NX}"),
             ("\n".join(["res = 10000", "clen = 0.1"] + panel_lines("p0", 0, NY - 1, NX, "+1x", "+1y", (0, 0)) +
                        ["bad_x/min_fs = 0", "bad_x/max_fs = 3", "bad_x/min_ss = 0", "bad_x/max_ss = 3"]),
              "bad region 'bad_x' is in fs/ss and names no panel"),
             ("\n".join(["res = 10000", "clen = 0.1"] + panel_lines("p0", 0, NY - 1, NX, "+1x", "+1y", (0, 0)) +
                        ["bad_x/min_x = 0", "bad_x/max_x = 3", "bad_x/min_ss = 0"]),
              "bad region 'bad_x' must give either")]
    for text, words in cases:
        geom = tmp_path / "g.geom"
        geom.write_text(text + "\n")
        out = tmp_path / "out.h5"
        r = run("sfx", "peaks", folder / "flat.cxi", "--out", out, "--geometry", geom)
        assert r.returncode == 2, r.stderr
        assert r.stderr.startswith("xpulse: error: ") and words in r.stderr and r.stderr.count("\n") == 1, r.stderr
        assert not os.path.exists(out) and not os.path.exists(str(out) + ".partial")
