#!/usr/bin/python3
"""MPI scaling on this machine in one run: `xpulse fit` and `xpulse reduce` as one process (one thread) and as
K MPI ranks of one thread each, on the same files in page cache; prints the times, the speed-up and the
parallel efficiency T1 / (K * TK), and checks that the outputs are the same bits.

    bench/compare_ranks.py [--xpulse build/apps/xpulse/xpulse] [--ranks 2] [--shape 200x1024x1024] [--repeat 3]

The fit stack is tile-chunked (units handed out on request by rank 0); the reduce stack is frame-chunked
(static shares of rows).
"""
import argparse
import os
import re
import shutil

import h5py

from bench_common import run  # bench/ is on the path when a script here runs


def same_bits(a, b):
    with h5py.File(a) as fa, h5py.File(b) as fb:
        names = []
        fa.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        return all(fa[n][...].tobytes() == fb[n][...].tobytes() for n in names)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xpulse", default="build/apps/xpulse/xpulse")
    ap.add_argument("--work", default="/tmp/xpulse-rank-bench")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--shape", default="200x1024x1024")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    mpirun = [shutil.which("mpirun") or "mpirun", "-q", "--oversubscribe", "-n", str(args.ranks)]
    if os.geteuid() == 0:
        mpirun.insert(1, "--allow-run-as-root")
    os.makedirs(args.work, exist_ok=True)
    stacks = {"fit": os.path.join(args.work, "tiles.h5"), "reduce": os.path.join(args.work, "frames.h5")}
    for command, chunks in (("fit", "tile"), ("reduce", "frame")):
        if not os.path.exists(stacks[command]):
            run([args.xpulse, "simulate", "pump-probe", "--out", stacks[command], "--shape", args.shape, "--chunks",
                 chunks])
        with open(stacks[command], "rb") as f:  # into page cache
            while f.read(1 << 24):
                pass
    print(f"xpulse fit and reduce, {args.shape} float32, 1 process vs {args.ranks} MPI ranks, 1 thread each, "
          f"best of {args.repeat}")
    for command in ("fit", "reduce"):
        best = {}
        for label, launcher in (("1", []), (str(args.ranks), mpirun)):
            out = os.path.join(args.work, f"{command}_{label}.h5")
            times, inside = [], []
            for _ in range(args.repeat):
                stdout, wall = run(launcher + [args.xpulse, command, stacks[command], "--threads", "1", "--out", out])
                times.append(wall)
                # The job's own time (reading + computing), without the launcher's start-up.
                inside.append(float(re.search(r" in ([0-9.]+) s", stdout).group(1)))
            best[label] = min(times)
            best["job" + label] = min(inside)
        t1, tk = best["1"], best[str(args.ranks)]
        j1, jk = best["job1"], best["job" + str(args.ranks)]
        identical = same_bits(os.path.join(args.work, f"{command}_1.h5"),
                              os.path.join(args.work, f"{command}_{args.ranks}.h5"))
        print(f"  {command:6s} wall: 1 process {t1:6.2f} s, {args.ranks} ranks {tk:6.2f} s: speed-up {t1 / tk:4.2f}x, "
              f"parallel efficiency {t1 / (args.ranks * tk):5.1%}, outputs identical: {identical}")
        print(f"  {command:6s} job : 1 process {j1:6.2f} s, {args.ranks} ranks {jk:6.2f} s: speed-up {j1 / jk:4.2f}x, "
              f"parallel efficiency {j1 / (args.ranks * jk):5.1%} (work phase as the summary reports it)")


if __name__ == "__main__":
    main()
