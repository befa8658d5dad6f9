#!/usr/bin/python3
"""End-to-end GPU comparison in one run: `xpulse fit --device cuda` against `xpulse fit --device cpu` on all
cores, and the JAX batched-LM peer (bench/jax_batched_lm.py), on the same 4 Mpx x 200-delay file in page cache.

    bench/compare_gpu.py [--xpulse build/apps/xpulse/xpulse] [--work DIR] [--shape 200x2048x2048]

Prints each rate and the ratios (xpulse CUDA / CPU, xpulse CUDA kernel-inclusive / JAX).
"""
import argparse
import os
import re
import sys

from bench_common import run  # bench/ is on the path when a script here runs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--xpulse", default="build/apps/xpulse/xpulse")
    ap.add_argument("--work", default="/tmp/xpulse-gpu-bench")
    ap.add_argument("--shape", default="200x2048x2048")
    ap.add_argument("--jax-pixels", type=int, default=1 << 20)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    data = os.path.join(args.work, "stack.h5")
    if not os.path.exists(data):
        run([args.xpulse, "simulate", "pump-probe", "--out", data, "--shape", args.shape, "--chunks", "none"])
    run(["cat", data])  # into page cache
    rates = {}
    for device in ("cuda", "cpu"):
        out, wall = run([args.xpulse, "fit", data, "--out", os.path.join(args.work, f"fit_{device}.h5"),
                         "--device", device])
        rate = float(re.search(r"\(([\d.]+) fits/s on ([^,]*?)(?:, model| \()", out).group(1))
        fitted = int(re.search(r"pixels, (\d+) fitted", out).group(1))
        rates[device] = (rate, fitted / wall)
        print(f"xpulse fit --device {device}: {rate:,.0f} fits/s (fit stage), {fitted / wall:,.0f} fits/s end to end "
              f"({wall:.2f} s)\n  {out.splitlines()[0]}")
    jax_out, _ = run([sys.executable, os.path.join(os.path.dirname(__file__), "jax_batched_lm.py"), data,
                      "--pixels", str(args.jax_pixels)])
    jax_rate = float(re.search(r"\(([\d.]+) fits/s\)", jax_out).group(1))
    print(jax_out.strip())
    print(f"ratio xpulse cuda / cpu (fit stage): {rates['cuda'][0] / rates['cpu'][0]:.1f}x; "
          f"end to end: {rates['cuda'][1] / rates['cpu'][1]:.1f}x")
    print(f"ratio xpulse cuda (fit stage, copies included) / jax batched LM (compute only): "
          f"{rates['cuda'][0] / jax_rate:.1f}x")


if __name__ == "__main__":
    main()
