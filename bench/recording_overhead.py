#!/usr/bin/python3
"""Cost of the run record on a job with many small work units: `xpulse fit --unit-rows 1` (one work unit per
detector row, each recorded with its timing) with the run database on and off (XPULSE_DB=none), alternating, best
of --repeats each. Prints both times and the overhead.

    /usr/bin/python3 bench/recording_overhead.py [--shape 200x256x256] [--repeats 5] [--threads 2]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def timed(cmd, env):
    start = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {r.stderr}")
    return time.perf_counter() - start


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--xpulse", default=os.path.join(ROOT, "build", "apps", "xpulse", "xpulse"))
    p.add_argument("--shape", default="200x256x256")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        data, out, db = os.path.join(d, "s.h5"), os.path.join(d, "f.h5"), os.path.join(d, "runs.db")
        subprocess.run([a.xpulse, "simulate", "pump-probe", "--out", data, "--shape", a.shape], check=True,
                       capture_output=True, env=dict(os.environ, XPULSE_DB="none"))
        rows = int(a.shape.split("x")[1])
        fit = [a.xpulse, "fit", data, "--out", out, "--unit-rows", "1", "--threads", str(a.threads)]
        on, off = [], []
        for _ in range(a.repeats):
            off.append(timed(fit, dict(os.environ, XPULSE_DB="none")))
            on.append(timed(fit, dict(os.environ, XPULSE_DB=db)))
    best_on, best_off = min(on), min(off)
    print(f"xpulse fit of {a.shape} in {rows} work units, {a.threads} threads, best of {a.repeats}:")
    print(f"  recording off: {best_off:.3f} s; on: {best_on:.3f} s; overhead {100 * (best_on / best_off - 1):+.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
