#!/usr/bin/python3
"""Spot finding: `xpulse sfx peaks` (peakfinder8) against DIALS's `dials.find_spots` on the same frames.

Simulates stills (default 100 frames of 2048x2048 = 4 Mpx, 5% hits) with `xpulse simulate sfx`, runs
`xpulse sfx peaks --threads 1`, exports every frame as an SMV image (uint16, negative readout noise clipped to 0)
for DIALS, runs `dials.import` and `dials.find_spots nproc=1 gain=<ADU per photon> min_spot_size=2`, and prints
frames per second per core for both, their ratio, and how the two peak lists agree (matched within 2 pixels)
and against the simulation's truth spots with I/sigma >= 5. DIALS is Debian's `dials` package
(scripts/bootstrap.sh --bench-peers installs it).

    /usr/bin/python3 bench/compare_dials.py [--frames 100] [--pixels 2048] [--hit-fraction 0.05] [--keep DIR]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

from bench_common import run

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def frames_and_geometry(f):
    """An open simulated CXI file's frames, pixel size and distance (mm), beam centre (px), ADU per photon and
    wavelength (A)."""
    frames = f["/entry_1/data_1/data"][()]
    det = f["/entry_1/instrument_1/detector_1"]
    pixel_mm, distance_mm = det["x_pixel_size"][()] * 1e3, det["distance"][()] * 1e3
    centre = (det["beam_center_x"][()], det["beam_center_y"][()])
    gain = det["adu_per_photon"][()]
    wavelength = 1.98644586e-25 / f["/entry_1/instrument_1/source_1/energy"][()] * 1e10
    return frames, pixel_mm, distance_mm, centre, gain, wavelength


def write_smv(folder, frames, pixel_mm, distance_mm, wavelength, centre):
    """Each frame as an ADSC-style SMV image that dxtbx reads."""
    n, ny, nx = frames.shape
    names = []
    for j in range(n):
        image = np.clip(np.rint(frames[j]), 0, 65535).astype("<u2")
        header = ("{\nHEADER_BYTES=512;\nDIM=2;\nBYTE_ORDER=little_endian;\nTYPE=unsigned_short;\n"
                  f"SIZE1={nx};\nSIZE2={ny};\nPIXEL_SIZE={pixel_mm};\nBIN=none;\nADC=slow;\nDETECTOR_SN=000;\n"
                  f"TIME=0.1;\nDISTANCE={distance_mm};\nPHI=0.0;\nOSC_START=0.0;\nOSC_RANGE=0.0;\n"
                  f"WAVELENGTH={wavelength};\nBEAM_CENTER_X={centre[0] * pixel_mm};\n"
                  f"BEAM_CENTER_Y={centre[1] * pixel_mm};\n}}\n").encode().ljust(512, b" ")
        name = os.path.join(folder, f"frame_{j:05d}.img")
        with open(name, "wb") as f:
            f.write(header + image.tobytes())
        names.append(name)
    return names


def dials_peaks(folder):
    """DIALS's strong spots per frame (experiment id): {frame: array [m, 2] of (x, y)}, pixel centres at
    integers."""
    code = ("from dials.array_family import flex\nimport sys\n"
            "r = flex.reflection_table.from_file(sys.argv[1])\n"
            "for (x, y, z), i in zip(r['xyzobs.px.value'], r['id']): print(x, y, i)\n")
    out = subprocess.run([sys.executable, "-c", code, os.path.join(folder, "strong.refl")], capture_output=True,
                         text=True, check=True).stdout
    peaks = {}
    for line in out.split("\n"):
        if line.strip():
            x, y, i = line.split()
            # DIALS's pixel coordinates put pixel centres at +0.5; each still is its own experiment (id).
            peaks.setdefault(int(i), []).append((float(x) - 0.5, float(y) - 0.5))
    return {j: np.array(v) for j, v in peaks.items()}


def matched(a, b, radius=2.0):
    """How many points of a have a point of b within radius."""
    if len(a) == 0 or len(b) == 0:
        return 0
    d = np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])
    return int((d.min(axis=1) <= radius).sum())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--xpulse", default=os.path.join(ROOT, "build", "apps", "xpulse", "xpulse"))
    p.add_argument("--pdb", default=os.path.join(ROOT, "tests", "data", "2cex.pdb"))
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--pixels", type=int, default=2048)
    p.add_argument("--hit-fraction", type=float, default=0.05)
    p.add_argument("--threshold", type=float, default=100, help="xpulse's peakfinder8 threshold, ADU (5 photons)")
    p.add_argument("--keep", help="folder for the data (default: a temporary one, removed)")
    a = p.parse_args()
    if shutil.which("dials.find_spots") is None:
        sys.exit("dials.find_spots is not installed: run scripts/bootstrap.sh --bench-peers")
    with tempfile.TemporaryDirectory() as scratch:
        folder = a.keep or scratch
        os.makedirs(folder, exist_ok=True)
        sim, out = os.path.join(folder, "sfx.cxi"), os.path.join(folder, "peaks.h5")
        if not os.path.exists(sim):
            run([a.xpulse, "simulate", "sfx", "--pdb", a.pdb, "--out", sim, "--frames", str(a.frames), "--pixels",
                 f"{a.pixels}x{a.pixels}", "--hit-fraction", str(a.hit_fraction), "--seed", "5"])
        if os.path.exists(out):
            os.remove(out)
        text, wall = run([a.xpulse, "sfx", "peaks", sim, "--out", out, "--threads", "1", "--threshold",
                          str(a.threshold)])
        print(text.strip())
        with h5py.File(sim, "r") as f:
            frames, pixel_mm, distance_mm, centre, gain, wavelength = frames_and_geometry(f)
            truth = {k: f["/truth/spots/" + k][()] for k in ("frame", "x", "y", "photons", "sigma")}
            hits = f["/truth/hit"][()]
        with h5py.File(out, "r") as f:
            count = f["/entry_1/result_1/nPeaks"][()]
            px, py = f["/entry_1/result_1/peakXPosRaw"][()], f["/entry_1/result_1/peakYPosRaw"][()]
        smv = os.path.join(folder, "smv")
        os.makedirs(smv, exist_ok=True)
        write_smv(smv, frames, pixel_mm, distance_mm, wavelength, centre)
        subprocess.run(["dials.import", *sorted(os.listdir(smv))], cwd=smv, capture_output=True, check=True)
        start = time.perf_counter()
        subprocess.run(["dials.find_spots", "imported.expt", "nproc=1", f"gain={gain}", "min_spot_size=2"], cwd=smv,
                       capture_output=True, check=True)
        dials_wall = time.perf_counter() - start
        theirs = dials_peaks(smv)

    n = len(count)
    xpulse_rate = n / float(text.split("peak finding ")[1].split(" s")[0])
    ours_total = int(count.sum())
    theirs_total = sum(len(v) for v in theirs.values())
    both = ours_in_theirs = theirs_in_ours = strong = ours_strong = theirs_strong = 0
    for j in range(n):
        ours = np.stack([px[j, :count[j]], py[j, :count[j]]], axis=1)
        other = theirs.get(j, np.zeros((0, 2)))
        ours_in_theirs += matched(ours, other)
        theirs_in_ours += matched(other, ours)
        m = (truth["frame"] == j) & (truth["photons"] / truth["sigma"] >= 5)
        spots = np.stack([truth["x"][m], truth["y"][m]], axis=1)
        strong += len(spots)
        ours_strong += matched(spots, ours)
        theirs_strong += matched(spots, other)
    print(f"{n} frames of {a.pixels}x{a.pixels} ({int(hits.sum())} hits), one core each:")
    print(f"  xpulse sfx peaks (peakfinder8): {xpulse_rate:.1f} frames/s (peak finding; {n / wall:.1f} with "
          f"process start and file I/O), {ours_total} peaks")
    print(f"  dials.find_spots: {n / dials_wall:.2f} frames/s (whole command), {theirs_total} spots")
    print(f"  ratio: {xpulse_rate / (n / dials_wall):.1f}x")
    print(f"  agreement: {ours_in_theirs} of xpulse's {ours_total} peaks have a DIALS spot within 2 px; "
          f"{theirs_in_ours} of DIALS's {theirs_total} spots have an xpulse peak")
    print(f"  truth spots with I/sigma >= 5: {strong}; found by xpulse {ours_strong} "
          f"({ours_strong / max(strong, 1):.3f}), by DIALS {theirs_strong} ({theirs_strong / max(strong, 1):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
