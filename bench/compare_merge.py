#!/usr/bin/python3
"""Merging 10^6 observations: `xpulse sfx merge` (1 and 2 threads) against the same merge written in numpy.

Writes a reflection table in the format of `xpulse sfx process` for --crystals stills of a P 21 21 21 crystal
(61 x 74 x 89 A, reflections to 2.5 A, 1.3 A wavelength): each crystal in a random orientation with a random scale
G in [0.5, 2], every reflection near its Ewald sphere recorded with the partiality of a Gaussian excitation
profile (width^2 = rho^2 + eta^2 |s|^2, rho and eta drawn per crystal), the beam's polarisation, and counting
noise on a background. The table's stored partialities are those of a width that ignores eta (what a profile
radius alone gives), as an integration program would predict them.
Then, each timed as a whole process from the table on disk:
  xpulse sfx merge --threads 1 / --threads 2 (default: offset model, post-refinement, ev11 error model);
  xpulse sfx merge --model unity --iterations 3 (scaling only);
  mpirun -n 2 xpulse sfx merge --threads 1 (when mpirun is there; checked bit for bit against one process);
  numpy: the same scaling and weighted mean on the stored partialities (3 cycles of per-crystal linear scales);
and prints the seconds and the correlation of the merged intensities with the true |F|^2 for each.

    /usr/bin/python3 bench/compare_merge.py [--crystals 1400] [--keep DIR]
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

import h5py
import numpy as np

from bench_common import run

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
XPULSE = os.environ.get("XPULSE_BIN", os.path.join(ROOT, "build", "apps", "xpulse", "xpulse"))
CELL = np.array([61.0, 74.0, 89.0])
WAVELENGTH = 1.3
D_MIN = 2.5


def random_rotations(rng, n):
    u1, u2, u3 = rng.uniform(0, 1, n), rng.uniform(0, 2 * np.pi, n), rng.uniform(0, 2 * np.pi, n)
    w, x = np.sqrt(1 - u1) * np.sin(u2), np.sqrt(1 - u1) * np.cos(u2)
    y, z = np.sqrt(u1) * np.sin(u3), np.sqrt(u1) * np.cos(u3)
    return np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
                     np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
                     np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1)], 1)


def write_table(path, crystals, seed=1):
    rng = np.random.default_rng(seed)
    top = np.ceil(CELL / D_MIN).astype(int)
    h, k, l = np.meshgrid(*[np.arange(-t, t + 1) for t in top], indexing="ij")
    hkl = np.stack([h.ravel(), k.ravel(), l.ravel()], 1)
    s_len = np.linalg.norm(hkl / CELL, axis=1)
    keep = (s_len > 0) & (s_len <= 1 / D_MIN) & ~((hkl[:, 1] == 0) & (hkl[:, 2] == 0) & (hkl[:, 0] % 2 == 1)) & \
        ~((hkl[:, 0] == 0) & (hkl[:, 2] == 0) & (hkl[:, 1] % 2 == 1)) & \
        ~((hkl[:, 0] == 0) & (hkl[:, 1] == 0) & (hkl[:, 2] % 2 == 1))
    hkl, s_len = hkl[keep], s_len[keep]
    # |F|^2 per asymmetric-unit reflection of mmm: (|h|, |k|, |l|).
    top1 = top + 1
    truth = rng.exponential(1.0, size=top1[0] * top1[1] * top1[2]) * 400
    asu = np.abs(hkl)
    truth_of = truth[(asu[:, 0] * top1[1] + asu[:, 1]) * top1[2] + asu[:, 2]]
    k_in = 1 / WAVELENGTH
    b = np.diag(1 / CELL)
    us = random_rotations(rng, crystals)
    columns = {n: [] for n in ("frame", "hkl", "intensity", "sigma", "partiality", "d")}
    radius = np.zeros(crystals)
    for c in range(crystals):
        rho, eta = rng.uniform(1e-4, 3e-4), rng.uniform(1e-3, 3e-3)
        g = rng.uniform(0.5, 2)
        s = hkl @ (us[c] @ b).T
        v = s + np.array([0, 0, k_in])
        eps = np.linalg.norm(v, axis=1) - k_in
        width2 = rho ** 2 + (eta * s_len) ** 2
        p = np.exp(-eps ** 2 / (2 * width2))
        seen = (p > 0.01) & (v[:, 2] > 0)
        pol = 1 - (v[seen, 0] / np.linalg.norm(v[seen], axis=1)) ** 2
        expected = g * p[seen] * pol * truth_of[seen]
        sigma = np.sqrt(expected + 30)
        observed = expected + sigma * rng.standard_normal(seen.sum())
        radius[c] = 2 * np.sqrt(np.median(width2[seen]))
        stored = np.exp(-eps[seen] ** 2 / (2 * (radius[c] / 2) ** 2))
        columns["frame"].append(np.full(seen.sum(), c, np.uint32))
        columns["hkl"].append(hkl[seen].astype(np.int32))
        columns["intensity"].append(observed)
        columns["sigma"].append(sigma)
        columns["partiality"].append(stored)
        columns["d"].append(1 / s_len[seen])
    cols = {n: np.concatenate(v) for n, v in columns.items()}
    n = len(cols["d"])
    with h5py.File(path, "w") as f:
        f["/indexing/frame"] = np.arange(crystals, dtype=np.uint32)
        f["/indexing/lattice"] = np.zeros(crystals, np.uint32)
        f["/indexing/ub"] = us @ b
        f["/indexing/profile_radius"] = radius
        f["/indexing"].attrs.update({"cell": "61,74,89,90,90,90", "centering": "P", "partiality": "offset",
                                     "bandwidth": 0.0})
        for name in ("frame", "hkl", "intensity", "sigma", "partiality", "d"):
            f["/reflections/" + name] = cols[name]
        f["/reflections/lattice"] = np.zeros(n, np.uint32)
        f["/reflections/flags"] = np.zeros(n, np.uint8)
        e = f.create_dataset("/entry_1/instrument_1/source_1/energy", data=12398.419843320026 / WAVELENGTH)
        e.attrs["units"] = "eV"
        f["/entry_1/instrument_1/source_1/polarization_fraction"] = 1.0
    return n, truth, top1


def numpy_merge(path, cycles=3):
    """Linear per-crystal scales against the current merge and the weighted mean of I / (G P p), as xpulse's
    scaling-only merge does, with the stored partialities (no post-refinement) and mmm's (|h|, |k|, |l|)."""
    with h5py.File(path, "r") as f:
        crystal, hkl = f["/reflections/frame"][()].astype(np.int64), f["/reflections/hkl"][()]
        i_obs, sigma, p = f["/reflections/intensity"][()], f["/reflections/sigma"][()], f["/reflections/partiality"][()]
        ub = f["/indexing/ub"][()]
    v = np.einsum("nij,nj->ni", ub[crystal], hkl.astype(float))
    v[:, 2] += 1 / WAVELENGTH
    pol = 1 - v[:, 0] ** 2 / np.sum(v * v, axis=1)
    used = p >= 0.3 * np.maximum.reduceat(p, np.r_[0, np.flatnonzero(np.diff(crystal)) + 1])[crystal]
    keys, group = np.unique(np.abs(hkl[used]), axis=0, return_inverse=True)
    crystal, i_obs, sigma, m = crystal[used], i_obs[used], sigma[used], (pol * p)[used]
    g = np.ones(crystal.max() + 1)
    for cycle in range(cycles + 1):
        f = g[crystal] * m
        w = (f / sigma) ** 2
        merged = np.bincount(group, w * i_obs / f) / np.bincount(group, w)
        if cycle == cycles:
            break
        model = m * merged[group]
        w_raw = 1 / sigma ** 2
        g = np.bincount(crystal, w_raw * i_obs * model) / np.bincount(crystal, w_raw * model * model)
        g /= np.median(g)
    return keys, merged


def correlation(keys, merged, truth, top1):
    t = truth[(keys[:, 0] * top1[1] + keys[:, 1]) * top1[2] + keys[:, 2]]
    return np.corrcoef(merged, t)[0, 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--crystals", type=int, default=1400)
    ap.add_argument("--keep", help="folder to keep the table and the merges in")
    args = ap.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="xpulse_merge_")
    os.makedirs(folder, exist_ok=True)
    table = os.path.join(folder, "table.h5")
    n, truth, top1 = write_table(table, args.crystals)
    print(f"{n} observations of {args.crystals} crystals in {table}")
    rows = []
    for label, extra in [("xpulse sfx merge --threads 1", ["--threads", "1"]),
                         ("xpulse sfx merge --threads 2", ["--threads", "2"]),
                         ("xpulse sfx merge --model unity --threads 1", ["--model", "unity", "--threads", "1"])]:
        out = os.path.join(folder, "merged.h5")
        if os.path.exists(out):
            os.remove(out)
        _, wall = run([XPULSE, "sfx", "merge", table, "--point-group", "mmm", "--out", out, *extra])
        with h5py.File(out, "r") as f:
            rows.append((label, wall, correlation(f["/merged/hkl"][()], f["/merged/intensity"][()], truth, top1)))
            if label.endswith("--threads 1") and "unity" not in label:
                one_process = f["/merged/intensity"][()]
    start = time.perf_counter()
    keys, merged = numpy_merge(table)
    rows.append(("numpy, the scaling-only merge", time.perf_counter() - start, correlation(keys, merged, truth, top1)))
    mpirun = shutil.which("mpirun")
    if mpirun:
        # Two ranks of one thread each: the default merge, which must give the one process's bits.
        out = os.path.join(folder, "merged_ranks.h5")
        launcher = [mpirun, "-q", "--oversubscribe", "-n", "2"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
        _, wall = run(launcher + [XPULSE, "sfx", "merge", table, "--point-group", "mmm", "--out", out, "--threads", "1"])
        with h5py.File(out, "r") as f:
            same = np.array_equal(f["/merged/intensity"][()], one_process, equal_nan=True)
            rows.append(("mpirun -n 2 xpulse sfx merge --threads 1", wall,
                         correlation(f["/merged/hkl"][()], f["/merged/intensity"][()], truth, top1)))
        print(f"2 MPI ranks give the one process's intensities bit for bit: {same}")
    print(f"{'':44s} {'seconds':>8s} {'CC to truth':>12s}")
    for label, wall, cc in rows:
        print(f"{label:44s} {wall:8.2f} {cc:12.4f}")
    print(f"numpy / xpulse (scaling only, 1 thread): {rows[3][1] / rows[2][1]:.1f}x")
    if not args.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    sys.exit(main())
