#!/usr/bin/python3
"""How close `xpulse fit` (the whole command: start, read, fit, write) comes to its own solver's rate.

Usage: /usr/bin/python3 bench/whole_job_efficiency.py [--build build] [--delays 100,200,400]
        [--pixels 256x256,64x64] [--threads 1,2]
For each delay count the solver-plus-seeding rate is BM_FitTile of xpulse_bench_fit (one thread, 64x64 pixels,
in memory, best of 3 repetitions); each stack is simulated with the same 50 fs step and fitted by the command.
Prints the whole command's rate and its ratio to the benchmark's (per thread).
"""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time


def solver_rates(build, delays):
    """fits/s per thread of BM_FitTile/<delays>, best of 3 repetitions."""
    bench = os.path.join(build, "bench", "xpulse_bench_fit")
    filt = "BM_FitTile/(" + "|".join(str(d) for d in delays) + ")$"
    r = subprocess.run([bench, f"--benchmark_filter={filt}", "--benchmark_repetitions=3",
                        "--benchmark_format=json", "--benchmark_min_time=0.5"],
                       check=True, capture_output=True, text=True)
    rates = {}
    for b in json.loads(r.stdout)["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        d = int(b["name"].split("/")[1])
        rates[d] = max(rates.get(d, 0.0), b["fits/s"])
    return rates


def whole_command(xpulse, sim, out, threads):
    """(fitted, fit-stage fits/s, whole-command fits/s) of one run; the best of two runs."""
    best = None
    for _ in range(2):
        if os.path.exists(out):
            os.remove(out)
        start = time.perf_counter()
        r = subprocess.run([xpulse, "fit", sim, "--out", out, "--threads", str(threads)], check=True,
                           capture_output=True, text=True)
        wall = time.perf_counter() - start
        fitted = int(re.search(r"(\d+) fitted", r.stdout).group(1))
        stage = float(re.search(r"\(([\d.]+) fits/s", r.stdout).group(1))
        run = (fitted, stage, fitted / wall)
        best = run if best is None or run[2] > best[2] else best
    return best


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--delays", default="100,200,400")
    p.add_argument("--pixels", default="256x256,64x64")
    p.add_argument("--threads", default="1,2")
    a = p.parse_args()
    xpulse = os.path.join(a.build, "apps", "xpulse", "xpulse")
    delays = [int(d) for d in a.delays.split(",")]
    rates = solver_rates(a.build, delays)
    print("delays  pixels    threads  fit stage fits/s  whole command fits/s  whole / (benchmark x threads)")
    with tempfile.TemporaryDirectory() as tmp:
        for d in delays:
            for pixels in a.pixels.split(","):
                sim = os.path.join(tmp, f"sim_{d}_{pixels}.h5")
                subprocess.run([xpulse, "simulate", "pump-probe", "--out", sim, "--shape", f"{d}x{pixels}",
                                f"--delays=0:{0.05 * (d - 1)}", "--seed", "1"], check=True, capture_output=True)
                for threads in (int(t) for t in a.threads.split(",")):
                    _, stage, whole = whole_command(xpulse, sim, os.path.join(tmp, "fit.h5"), threads)
                    print(f"{d:6d}  {pixels:8s}  {threads:7d}  {stage:16,.0f}  {whole:20,.0f}  "
                          f"{whole / (rates[d] * threads):6.0%}   (benchmark {rates[d]:,.0f} fits/s per thread)")
                os.remove(sim)


if __name__ == "__main__":
    main()
