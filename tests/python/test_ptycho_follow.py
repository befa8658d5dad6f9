"""`xpulse ptycho reconstruct --follow` on a scan a writer is still adding frames to (SWMR): previews while it
grows, and in the end the same object as the offline run on the same frames."""
import os
import subprocess
import sys
import time

import h5py
import numpy as np

DETECTOR = "/entry_1/instrument_1/detector_1/"
TRANSLATION = "/entry_1/sample_1/geometry_1/translation"
ENERGY = "/entry_1/instrument_1/source_1/energy"

WRITER = r'''
import sys, time, h5py
src, dst, block, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
bad = int(sys.argv[5]) if len(sys.argv) > 5 else -1  # a frame to spoil with a NaN
with h5py.File(src, "r") as f:
    frames = f["{d}data"][()]
    if bad >= 0:
        frames[bad, 3, 5] = float("nan")
    translation = f["{t}"][()]
    scalars = {{k: f["{d}" + k][()] for k in ("distance", "x_pixel_size", "y_pixel_size")}}
    energy = f["{e}"][()]
n = frames.shape[1]
with h5py.File(dst, "w", libver="latest") as g:
    data = g.create_dataset("{d}data", (0, n, n), maxshape=(None, n, n), dtype="f4", chunks=(1, n, n))
    where = g.create_dataset("{t}", (0, 3), maxshape=(None, 3), dtype="f8", chunks=(64, 3))
    for k, v in scalars.items():
        g["{d}" + k] = v
    g["{e}"] = energy
    g.swmr_mode = True
    for first in range(0, len(frames), block):
        last = min(first + block, len(frames))
        data.resize((last, n, n)); data[first:last] = frames[first:last]; data.flush()
        where.resize((last, 3)); where[first:last] = translation[first:last]; where.flush()
        time.sleep(pause)
'''.format(d=DETECTOR, t=TRANSLATION, e=ENERGY)

BINARY = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")


def test_a_followed_scan_ends_with_the_offline_object(tmp_path, xpulse):
    full, live = tmp_path / "full.cxi", tmp_path / "live.cxi"
    xpulse("simulate", "ptycho", "--out", full, "--object-size", 256, "--probe-size", 64, "--positions", 256)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(full), str(live), "64", "1.5"])
    while not live.exists():
        time.sleep(0.05)
    time.sleep(0.3)
    followed = tmp_path / "followed.h5"
    out = xpulse("ptycho", "reconstruct", live, "--out", followed, "--follow", "--poll", 0.2, "--idle-timeout", 4,
                 "--update", 0.5, "--threads", 2)
    assert writer.wait() == 0
    previews = int(out.split("followed the scan while it was written: ")[1].split()[0])
    assert previews >= 2, out
    offline = tmp_path / "offline.h5"
    xpulse("ptycho", "reconstruct", full, "--out", offline, "--threads", 2)
    with h5py.File(followed, "r") as a, h5py.File(offline, "r") as b:
        assert "preview" not in a["/reconstruction"].attrs
        np.testing.assert_allclose(a["/reconstruction/object"][()], b["/reconstruction/object"][()], rtol=1e-6)
        np.testing.assert_array_equal(a["/reconstruction/positions"][()], b["/reconstruction/positions"][()])


def test_a_preview_is_written_while_the_scan_grows_and_nothing_is_left_on_failure(tmp_path, xpulse):
    full, live = tmp_path / "full.cxi", tmp_path / "live.cxi"
    xpulse("simulate", "ptycho", "--out", full, "--object-size", 256, "--probe-size", 64, "--positions", 256)
    # Frame 150, in the third block, holds a NaN: the run fails when it arrives.
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(full), str(live), "64", "2", "150"])
    while not live.exists():
        time.sleep(0.05)
    rec = tmp_path / "rec.h5"
    follower = subprocess.Popen([BINARY, "ptycho", "reconstruct", str(live), "--out", str(rec),
                                 "--follow", "--poll", "0.2", "--idle-timeout", "30", "--update", "0.5",
                                 "--threads", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not rec.exists() and time.time() < deadline:
        time.sleep(0.1)
    with h5py.File(rec, "r") as f:
        frames = f["/reconstruction/positions"].shape[0]
        assert "scan still being written" in f["/reconstruction"].attrs["preview"]
        assert 0 < frames < 256
    _, err = follower.communicate(timeout=120)
    writer.wait()
    assert follower.returncode == 2
    assert err.strip().splitlines()[-1].startswith("xpulse: error: frame 150 pixel (")
    assert not rec.exists() and not (tmp_path / "rec.h5.partial").exists()
