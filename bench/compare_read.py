#!/usr/bin/python3
"""Read throughput of xpulse's parallel HDF5 reader vs h5py vs `cat FILE > /dev/null`, same files, one run.

Usage: /usr/bin/python3 bench/compare_read.py [--reader build/bench/xpulse_read_throughput] [--gib 2]
        [--xpulse build/apps/xpulse/xpulse] [--dir DIR] [--keep] [--only LAYOUT,...]

Writes one >= 2 GiB uint16 stack [frames, 1024, 1024] of detector-like counts (sparse Poisson photons on a
smooth background) in six layouts: contiguous, chunked per frame, and per-frame chunks compressed with deflate
(gzip 4 + shuffle; gzip 1 + shuffle, European XFEL's choice), LZ4 and Blosc-Zstd (level 5, byte shuffle). Each file is read once with `cat` first so it
sits in the page cache; then every reader reads the whole dataset in slabs of --slab frames (default 16, 32 MiB)
into one reused buffer (h5py: read_direct). The best of --repeat runs is kept for each. Rates are decoded bytes per second
(for cat: file bytes). The last columns time `xpulse reduce --op sum --threads 2` as a whole process (start, read,
sum, write, exit) against h5py's read alone.
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time

import h5py
import hdf5plugin
import numpy as np

NY = NX = 1024


def layouts():
    frame = (1, NY, NX)
    return [
        ("contiguous", dict()),
        ("chunked per frame", dict(chunks=frame)),
        ("deflate", dict(chunks=frame, compression="gzip", compression_opts=4, shuffle=True)),
        ("deflate gzip 1", dict(chunks=frame, compression="gzip", compression_opts=1, shuffle=True)),
        ("LZ4", dict(chunks=frame, **hdf5plugin.LZ4())),
        ("Blosc-Zstd", dict(chunks=frame, **hdf5plugin.Blosc(cname="zstd", clevel=5,
                                                               shuffle=hdf5plugin.Blosc.SHUFFLE))),
    ]


def write_stack(path, frames, options, slab=128):
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:NY, 0:NX]
    background = 0.3 + 0.2 * np.exp(-((yy - 400) ** 2 + (xx - 600) ** 2) / 2e5)
    with h5py.File(path, "w") as f:
        d = f.create_dataset("data", shape=(frames, NY, NX), dtype="uint16", **options)
        for k in range(0, frames, slab):
            n = min(slab, frames - k)
            d[k:k + n] = rng.poisson(background, size=(n, NY, NX)).astype("uint16")


def time_best(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reader", default="build/bench/xpulse_read_throughput")
    p.add_argument("--xpulse", default="build/apps/xpulse/xpulse")
    p.add_argument("--gib", type=float, default=2.0)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--dir", default=None)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--slab", type=int, default=16, help="frames per read")
    p.add_argument("--only", default=None, help="comma-separated subset of layouts")
    args = p.parse_args()
    frames = int(np.ceil(args.gib * 2**30 / (NY * NX * 2)))
    work = args.dir or tempfile.mkdtemp(prefix="xpulse_read_bench_")
    os.makedirs(work, exist_ok=True)
    print(f"stack: {frames} x {NY} x {NX} uint16 = {frames * NY * NX * 2 / 2**30:.2f} GiB decoded, "
          f"{os.cpu_count()} cores, best of {args.repeat}")
    print(f"{'layout':<18} {'file GiB':>8} {'cat GB/s':>9} {'h5py GB/s':>10} {'xpulse 1t':>10} {'xpulse 2t':>10} "
          f"{'2t/cat':>7} {'2t/h5py':>8} {'2t/1t':>6} {'reduce 2t':>10} {'reduce/h5py':>11}")
    try:
        for name, options in layouts():
            if args.only and name not in args.only.split(","):
                continue
            path = os.path.join(work, name.replace(" ", "_") + ".h5")
            if not os.path.exists(path):
                write_stack(path, frames, options)
            size = os.path.getsize(path)
            decoded = frames * NY * NX * 2
            subprocess.run(f"cat '{path}' > /dev/null", shell=True, check=True)  # into the page cache
            cat_s = time_best(lambda: subprocess.run(f"cat '{path}' > /dev/null", shell=True, check=True),
                              args.repeat)
            buffer = np.empty((args.slab, NY, NX), dtype="uint16")

            def h5py_read():
                with h5py.File(path, "r") as f:
                    d = f["data"]
                    for k in range(0, frames, args.slab):
                        n = min(args.slab, frames - k)
                        d.read_direct(buffer, np.s_[k:k + n], np.s_[0:n])

            h5py_s = time_best(h5py_read, args.repeat)
            xp = {}
            for threads in (1, 2):
                def run():
                    out = subprocess.run([args.reader, path, "/data", str(threads), str(args.slab * NY * NX * 2 >> 20)],
                                         check=True, capture_output=True, text=True).stdout.split()
                    xp.setdefault(threads, []).append(float(out[0]))
                for _ in range(args.repeat):
                    run()
            x1, x2 = min(xp[1]), min(xp[2])
            sums = os.path.join(work, "sums.h5")
            reduce_s = time_best(lambda: subprocess.run(
                [args.xpulse, "reduce", path, "--data", "/data", "--out", sums, "--op", "sum", "--threads", "2"],
                check=True, capture_output=True), args.repeat)
            os.remove(sums)
            gb = lambda b, s: b / s / 1e9
            print(f"{name:<18} {size / 2**30:8.2f} {gb(size, cat_s):9.2f} {gb(decoded, h5py_s):10.2f} "
                  f"{gb(decoded, x1):10.2f} {gb(decoded, x2):10.2f} {gb(decoded, x2) / gb(size, cat_s):7.2f} "
                  f"{h5py_s / x2:8.2f} {x1 / x2:6.2f} {gb(decoded, reduce_s):10.2f} {h5py_s / reduce_s:11.2f}",
                  flush=True)
            if not args.keep:
                os.remove(path)
    finally:
        if not args.keep and not args.dir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
