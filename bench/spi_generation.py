#!/usr/bin/python3
"""Time per M-TIP generation and its split by stage at a chosen size (default: Spinifel's demo size, 10,000
images of 128x128 pixels, grid 81, 10,000 reference orientations).

Simulates the images with `xpulse simulate spi` (2cex), runs `xpulse spi reconstruct` for --generations
generations, and prints each generation's stage times from the output's /history. Generation 0 merges at random
orientations (no slicing or matching); later generations show the full cost.

    /usr/bin/python3 bench/spi_generation.py [--images 10000 --pixels 128 --grid 81 --orientations 10000]
        [--generations 2] [--threads 2] [--launcher "mpirun -n 2"] [--keep DIR]
"""
import argparse
import os
import shlex
import sys
import tempfile

import h5py

from bench_common import run

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STAGES = ("slice", "match", "gemm", "merge", "phase")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--xpulse", default=os.path.join(ROOT, "build", "apps", "xpulse", "xpulse"))
    p.add_argument("--pdb", default=os.path.join(ROOT, "tests", "data", "2cex.pdb"))
    p.add_argument("--images", type=int, default=10000)
    p.add_argument("--pixels", type=int, default=128)
    p.add_argument("--grid", type=int, default=81)
    p.add_argument("--orientations", type=int, default=10000)
    p.add_argument("--generations", type=int, default=2)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--launcher", default="", help="e.g. 'mpirun -n 2' (then --threads is per rank)")
    p.add_argument("--keep", help="folder for the simulation and output (default: a temporary one, removed)")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = a.keep or scratch
        os.makedirs(folder, exist_ok=True)
        sim, rec = os.path.join(folder, "spi_sim.h5"), os.path.join(folder, "spi_rec.h5")
        if not os.path.exists(sim):
            _, wall = run([a.xpulse, "simulate", "spi", "--pdb", a.pdb, "--out", sim, "--images", str(a.images),
                           "--pixels", str(a.pixels), "--grid", str(a.grid), "--photons", "1e15", "--seed", "1",
                           "--threads", str(a.threads)])
            print(f"simulated {a.images} images of {a.pixels}x{a.pixels} in {wall:.1f} s")
        for path in (rec, rec + ".journal"):
            if os.path.exists(path):
                run(["rm", "-rf", path])
        command = shlex.split(a.launcher) + [
            a.xpulse, "spi", "reconstruct", sim, "--out", rec, "--grid", str(a.grid), "--generations",
            str(a.generations), "--orientations", str(a.orientations), "--threads", str(a.threads)]
        _, wall = run(command)
        with h5py.File(rec, "r") as f:
            h = {s: f[f"/history/{s}_seconds"][()] for s in STAGES}
            iterations = f["/history/cg_iterations"][()]
        print(f"M-TIP, {a.images} images of {a.pixels}x{a.pixels}, grid {a.grid}^3, {a.orientations} references "
              f"(+ each image's current orientation), {a.threads} threads"
              + (f", launcher '{a.launcher}'" if a.launcher else "") + f"; whole run {wall:.1f} s")
        print("generation  slice (s)  match (s)  of it GEMM (s)  merge (s)  CG its  phase (s)  total (s)")
        for g in range(len(h["merge"])):
            total = h["slice"][g] + h["match"][g] + h["merge"][g] + h["phase"][g]
            print(f"{g:10d}  {h['slice'][g]:9.1f}  {h['match'][g]:9.1f}  {h['gemm'][g]:14.1f}  {h['merge'][g]:9.1f}"
                  f"  {iterations[g]:6d}  {h['phase'][g]:9.1f}  {total:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
