#!/usr/bin/python3
"""Merging stills: `xpulse sfx merge` against `dials.scale` + `dials.merge` on the same simulated frames.

Simulates stills of 2CEX's C 1 2 1 crystal (default 40 frames of 512x512, 150 um pixels at 10 cm, every frame a
hit), then for each program its own indexing and integration followed by its merge:
  xpulse: `xpulse sfx process --threads 1`, then `xpulse sfx merge --point-group 2 --threads 1`;
  DIALS:  `dials.stills_process mp.nproc=1` on SMV exports of the frames (as bench/compare_dials_index.py, whose
          notes on Debian's DIALS apply), then `dials.scale model=KB` on every integrated still and `dials.merge`.
Prints, for both, the merge's seconds (whole commands), the unique reflections and multiplicity, and the
correlation of the merged intensities with the simulator's |F|^2 truth, the truth mapped to the asymmetric unit
by gemmi for both. DIALS is Debian's `dials` package (scripts/bootstrap.sh --bench-peers).

    /usr/bin/python3 bench/compare_dials_merge.py [--frames 40] [--keep DIR]
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

import gemmi
import h5py
import numpy as np

from bench_common import run
from dials_stills import stills_process

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))
import merge_truth  # noqa: E402

CELL = [131.448, 88.701, 115.912, 90, 105.33, 90]


def dials(folder, sim):
    """stills_process, scale and merge; returns (merged MTZ path, seconds of scale + merge)."""
    out, wall, env = stills_process(folder, sim, CELL)
    print(f"  dials.stills_process: {wall:.1f} s")
    expts = sorted(glob.glob(os.path.join(out, "idx-*_integrated.expt")))
    refls = [e.replace(".expt", ".refl") for e in expts]
    start = time.perf_counter()
    for cmd in (["dials.scale", *expts, *refls, "model=KB", "nproc=1"],
                ["dials.merge", "scaled.expt", "scaled.refl", "output.mtz=dials_merged.mtz"]):
        r = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            sys.exit(f"{cmd[0]} failed: {(r.stdout + r.stderr)[-2000:]}")
    return os.path.join(folder, "dials_merged.mtz"), time.perf_counter() - start, len(expts)


def mtz_intensities(mtz_path):
    mtz = gemmi.read_mtz_file(mtz_path)
    data = np.array(mtz, copy=False)
    column = [c.label for c in mtz.columns].index("IMEAN")
    return {tuple(int(v) for v in row[:3]): row[column] for row in data if np.isfinite(row[column])}


def cc(merged, truth, keys):
    keys = [k for k in keys if k in truth]
    return np.corrcoef([merged[k] for k in keys], [truth[k] for k in keys])[0, 1], len(keys)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--xpulse", default=os.path.join(ROOT, "build", "apps", "xpulse", "xpulse"))
    p.add_argument("--pdb", default=os.path.join(ROOT, "tests", "data", "2cex.pdb"))
    p.add_argument("--frames", type=int, default=40)
    p.add_argument("--keep", help="folder for the data (default: a temporary one, removed)")
    a = p.parse_args()
    for tool in ("dials.stills_process", "dials.scale", "dials.merge"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: run scripts/bootstrap.sh --bench-peers")
    with tempfile.TemporaryDirectory() as scratch:
        folder = a.keep or scratch
        os.makedirs(folder, exist_ok=True)
        sim, table = os.path.join(folder, "sfx.cxi"), os.path.join(folder, "reflections.h5")
        merged, mtz = os.path.join(folder, "merged.h5"), os.path.join(folder, "merged.mtz")
        for path in (table, merged, mtz, mtz + ".stats.h5"):
            if os.path.exists(path):
                os.remove(path)
        if not os.path.exists(sim):
            run([a.xpulse, "simulate", "sfx", "--pdb", a.pdb, "--out", sim, "--frames", str(a.frames), "--pixels",
                 "512x512", "--pixel-size", "150e-6", "--hit-fraction", "1", "--seed", "8"])
        run([a.xpulse, "sfx", "process", sim, "--cell", ",".join(map(str, CELL)), "--centering", "C", "--out", table,
             "--threads", "1"])
        _, xpulse_wall = run([a.xpulse, "sfx", "merge", table, "--point-group", "2", "--out", mtz, "--threads", "1"])
        run([a.xpulse, "sfx", "merge", table, "--point-group", "2", "--out", merged, "--threads", "1"])
        with h5py.File(merged, "r") as f:
            mult = f["/merged/multiplicity"][()]
        truth = merge_truth.truth_in_asu(sim, "C 1 2 1")
        ours = mtz_intensities(mtz)
        print(f"{a.frames} stills of 2CEX, 512x512 at 10 cm, one core each:")
        dials_mtz, dials_wall, crystals = dials(folder, sim)
        theirs = mtz_intensities(dials_mtz)
        common = [k for k in ours if k in theirs]
        xpulse_cc, xpulse_n = cc(ours, truth, ours)
        dials_cc, dials_n = cc(theirs, truth, theirs)
        print(f"  xpulse sfx merge:           {xpulse_wall:6.2f} s, {xpulse_n} unique (multiplicity "
              f"{mult.mean():.1f}, single observations left out), CC to truth {xpulse_cc:.3f}")
        print(f"  dials.scale + dials.merge:  {dials_wall:6.2f} s, {dials_n} unique from {crystals} integrated "
              f"stills (single observations kept), CC to truth {dials_cc:.3f}")
        print(f"  on the {len(common)} reflections both merged: CC to truth xpulse {cc(ours, truth, common)[0]:.3f}, "
              f"DIALS {cc(theirs, truth, common)[0]:.3f}")
        print(f"  ratio (DIALS / xpulse seconds of the merge): {dials_wall / xpulse_wall:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
