#!/usr/bin/python3
"""Indexing and integration of stills: `xpulse sfx process` against DIALS's `dials.stills_process` on the same frames.

Simulates stills of 2CEX's C 1 2 1 crystal (default 40 frames of 512x512 with 150 um pixels at 10 cm, ~250 spots a
lattice, half of them hits) with `xpulse simulate sfx`, runs `xpulse sfx process --threads 1`, exports every frame
as an SMV image (uint16, negative readout noise clipped to 0) and runs `dials.stills_process mp.nproc=1` on them
with the same cell and space group. Prints, for both, the hit frames indexed, the misorientation to the truth
(modulo the lattice's symmetry), the correlation of the integrated intensities with the truth's photons (above 20),
and seconds per hit frame on one core; then the ratio. DIALS is Debian's `dials` package (scripts/bootstrap.sh
--bench-peers). Debian's DIALS lacks the compiled module `xfel_mono_sim_ext` that stills_process imports; an empty
stand-in on PYTHONPATH lets it run (the code path used is pure Python). DIALS's lab frame is diag(1, -1, -1) times
xpulse's.

    /usr/bin/python3 bench/compare_dials_index.py [--frames 40] [--keep DIR]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

from bench_common import run
from dials_stills import stills_process

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
import sfx_truth  # noqa: E402

CELL = [131.448, 88.701, 115.912, 90, 105.33, 90]

READ_DIALS = r"""
import glob, os, sys
from dxtbx.model.experiment_list import ExperimentListFactory
from dials.array_family import flex
for path in sorted(glob.glob(os.path.join(sys.argv[1], "idx-*_integrated.expt"))):
    frame = int(os.path.basename(path).split("_")[1])  # idx-frame_00012_integrated.expt
    experiments = ExperimentListFactory.from_json_file(path, check_format=False)
    refl = flex.reflection_table.from_file(path.replace(".expt", ".refl"))
    for i, e in enumerate(experiments):
        a = e.crystal.get_A()
        print("A", frame, i, " ".join(repr(v) for v in a))
    sel = refl["intensity.sum.variance"] > 0
    r = refl.select(sel)
    for (x, y, z), i, v, ident in zip(r["xyzcal.px"], r["intensity.sum.value"], r["intensity.sum.variance"], r["id"]):
        print("R", frame, ident, x, y, i, v)
"""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--xpulse", default=os.path.join(ROOT, "build", "apps", "xpulse", "xpulse"))
    p.add_argument("--pdb", default=os.path.join(ROOT, "tests", "data", "2cex.pdb"))
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--keep", help="folder for the data (default: a temporary one, removed)")
    a = p.parse_args()
    if shutil.which("dials.stills_process") is None:
        sys.exit("dials.stills_process is not installed: run scripts/bootstrap.sh --bench-peers")
    with tempfile.TemporaryDirectory() as scratch:
        folder = a.keep or scratch
        os.makedirs(folder, exist_ok=True)
        sim, out = os.path.join(folder, "sfx.cxi"), os.path.join(folder, "reflections.h5")
        if not os.path.exists(sim):
            run([a.xpulse, "simulate", "sfx", "--pdb", a.pdb, "--out", sim, "--frames", str(a.frames), "--pixels",
                 "512x512", "--pixel-size", "150e-6", "--hit-fraction", "0.5", "--seed", "8"])
        if os.path.exists(out):
            os.remove(out)
        text, xpulse_wall = run([a.xpulse, "sfx", "process", sim, "--cell", ",".join(map(str, CELL)), "--centering",
                                 "C", "--out", out, "--threads", "1"])
        print(text.strip())
        ours = sfx_truth.score(sim, out, CELL)
        with h5py.File(sim, "r") as f:
            gain = f["/entry_1/instrument_1/detector_1/adu_per_photon"][()]
            hit = f["/truth/hit"][()].astype(bool)
            q = f["/truth/orientations"][()]
            truth = {k: f["/truth/spots/" + k][()] for k in ("frame", "x", "y", "photons")}
        dials_out, dials_wall, env = stills_process(folder, sim, CELL)
        listing = subprocess.run([sys.executable, "-c", READ_DIALS, dials_out],
                                 capture_output=True, text=True, env=env)
        if listing.returncode != 0:
            sys.exit(f"reading DIALS's output failed: {listing.stderr[-2000:]}")

    b = sfx_truth.b_matrix(np.array(CELL))
    ops = sfx_truth.lattice_symmetry(np.array(CELL))
    flip = np.diag([1.0, -1.0, -1.0])  # DIALS's lab frame to xpulse's
    angles, indexed, true_i, dials_i = [], set(), [], []
    for line in listing.stdout.splitlines():
        parts = line.split()
        if parts[0] == "A":
            frame = int(parts[1])
            ub = flip @ np.array([float(v) for v in parts[3:12]]).reshape(3, 3)
            indexed.add(frame)
            angles.append(sfx_truth.misorientation_deg(ub, sfx_truth.rotation(q[frame]) @ b, ops))
        elif parts[0] == "R":
            frame, x, y, i = int(parts[1]), float(parts[3]) - 0.5, float(parts[4]) - 0.5, float(parts[5])
            sel = np.flatnonzero(truth["frame"] == frame)
            d2 = (truth["x"][sel] - x) ** 2 + (truth["y"][sel] - y) ** 2
            if sel.size and d2.min() < 1 and np.sum(d2 < 64) == 1:
                true_i.append(truth["photons"][sel[np.argmin(d2)]]), dials_i.append(i / gain)
    hits = int(hit.sum())
    own = float(text.split(" reflections, ")[1].split(" s ")[0])
    true_i, dials_i = np.array(true_i), np.array(dials_i)
    strong = true_i > 20
    m = ours["misorientation_deg"]
    t = ours["true"] > 20
    ours_cc = np.corrcoef(ours["true"][t], ours["intensity"][t])[0, 1]
    dials_cc = np.corrcoef(true_i[strong], dials_i[strong])[0, 1] if strong.sum() > 2 else float("nan")
    print(f"{a.frames} frames of 512x512, {hits} hits, one core each:")
    print(f"  xpulse: {ours['single_indexed']} of {ours['single_hits']} hits indexed, {ours['blank_indexed']} blanks; "
          f"misorientation median {np.median(m):.3f} max {m.max():.3f} deg; CC {ours_cc:.3f}; "
          f"{xpulse_wall / hits:.3f} s per hit frame (whole command; {own / hits:.3f} s in its own summary)")
    angles = np.array(angles) if angles else np.array([np.nan])
    print(f"  DIALS:  {len(indexed & set(np.flatnonzero(hit)))} of {hits} hits indexed, "
          f"{len(indexed - set(np.flatnonzero(hit)))} blanks; misorientation median {np.median(angles):.3f} max "
          f"{np.max(angles):.3f} deg; CC {dials_cc:.3f}; {dials_wall / hits:.3f} s per hit frame (whole command)")
    print(f"  ratio (DIALS / xpulse seconds per hit frame): {dials_wall / xpulse_wall:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
