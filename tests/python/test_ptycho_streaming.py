"""`xpulse ptycho reconstruct --memory`: frames that do not fit the budget are read from the file in batches at every
pass, with the same bits as in memory; what cannot stream says so."""
import os
import subprocess

import h5py
import numpy as np

BINARY = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")


def test_streaming_a_quarter_of_the_frames_gives_the_same_bits(tmp_path, xpulse):
    scan = tmp_path / "scan.cxi"
    xpulse("simulate", "ptycho", "--out", scan, "--object-size", 256, "--probe-size", 64, "--positions", 256)
    held, streamed = tmp_path / "held.h5", tmp_path / "streamed.h5"
    xpulse("ptycho", "reconstruct", scan, "--out", held, "--threads", 2)
    # 256 frames of 64^2 hold 16 MiB (intensities, amplitudes, far fields): a quarter of that.
    out = xpulse("ptycho", "reconstruct", scan, "--out", streamed, "--memory", "4M", "--batch", 16, "--threads", 2)
    reads = int(out.split("frames streamed from the file: ")[1].split()[0])
    assert reads >= 2 * 256 * 100  # every frame twice per iteration (gradient, curvature)
    with h5py.File(held, "r") as a, h5py.File(streamed, "r") as b:
        for name in ("/reconstruction/object", "/reconstruction/probe", "/history/cost", "/history/step"):
            np.testing.assert_array_equal(a[name][()], b[name][()])


def test_what_cannot_stream_is_refused_in_one_line(tmp_path):
    scan = tmp_path / "scan.cxi"
    subprocess.run([BINARY, "simulate", "ptycho", "--out", str(scan), "--object-size", "256",
                    "--probe-size", "64", "--positions", "256"], check=True, capture_output=True)
    cases = {
        ("--algorithm", "dm"): "xpulse: error: DM keeps every frame and its exit wave in memory",
        ("--warm-up", "10"): "xpulse: error: DM keeps every frame and its exit wave in memory",
        ("--batch", "64", "--memory", "1M"): "xpulse: error: --memory 1048576 bytes does not hold one batch of 64",
        ("--memory", "lots"): "xpulse: error: --memory 'lots' is not a size",
    }
    for extra, message in cases.items():
        out = tmp_path / "rec.h5"
        args = [BINARY, "ptycho", "reconstruct", str(scan), "--out", str(out), *extra]
        if "--memory" not in extra:
            args += ["--memory", "4M", "--batch", "16"]
        r = subprocess.run(args, capture_output=True, text=True)
        assert r.returncode == 2, (extra, r.stderr)
        assert r.stderr.strip().splitlines()[-1].startswith(message), (extra, r.stderr)
        assert not out.exists() and not (tmp_path / "rec.h5.partial").exists()
