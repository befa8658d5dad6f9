#!/usr/bin/python3
"""xpulse fit vs scipy.optimize.curve_fit per pixel (the XANI baseline), same file, same machine, one run.

Usage: /usr/bin/python3 bench/compare_scipy.py [--xpulse build/apps/xpulse/xpulse] [--pixels 512x512,64x64]
        [--delays 200] [--scipy-sample 20000]
Both fit the same simulated stacks (Poisson noise) on one core; xpulse fits every trace, scipy a random sample of
at most --scipy-sample of them (its rate per trace does not depend on the stack's size). scipy gets the conventional start: FFT-peak
frequency, amplitude from the trace's spread, damping 1/span, phase from the peak's FFT bin, offset = mean.
"""
import argparse
import os
import re
import subprocess
import tempfile
import time

import h5py
import numpy as np
from scipy.optimize import curve_fit


def damped_cosine(t, f, a, g, phi, c):
    return c + a * np.exp(-g * t) * np.cos(2 * np.pi * f * t + phi)


def fft_start(t, y):
    dt = t[1] - t[0]
    centred = y - y.mean()
    spectrum = np.fft.rfft(centred, n=4 * t.size)
    freqs = np.fft.rfftfreq(4 * t.size, dt)
    k = 1 + np.argmax(np.abs(spectrum[1:]))
    return [freqs[k], np.sqrt(2) * centred.std(), 1.0 / (t[-1] - t[0]), np.angle(spectrum[k]), y.mean()]


def compare(args, pixels, tmp):
    """Fits one simulated stack of `pixels` (e.g. 64x64) with both; returns the printed lines."""
    sim, out = os.path.join(tmp, f"sim_{pixels}.h5"), os.path.join(tmp, f"fit_{pixels}.h5")
    # 50 fs steps from t0: every simulated frequency is below Nyquist.
    end = 0.05 * (args.delays - 1)
    subprocess.run([args.xpulse, "simulate", "pump-probe", "--out", sim, "--shape",
                    f"{args.delays}x{pixels}", f"--delays=0:{end}", "--seed", "1"], check=True,
                   capture_output=True)
    start = time.perf_counter()
    r = subprocess.run([args.xpulse, "fit", sim, "--out", out, "--threads", "1"], check=True,
                       capture_output=True, text=True)
    xpulse_wall = time.perf_counter() - start
    fitted = int(re.search(r"(\d+) fitted", r.stdout).group(1))
    xpulse_rate = float(re.search(r"\(([\d.]+) fits/s", r.stdout).group(1))
    with h5py.File(sim, "r") as f:
        data = f["/entry_1/data_1/data"][()].astype(np.float64)
        t = f["/entry_1/data_1/delay"][()]
        mask = f["/entry_1/data_1/mask"][()]
    traces = data.reshape(data.shape[0], -1)[:, mask.ravel() == 0]
    # scipy's rate from a random sample of the traces when there are more than --scipy-sample.
    if traces.shape[1] > args.scipy_sample:
        pick = np.random.default_rng(1).choice(traces.shape[1], args.scipy_sample, replace=False)
        traces = traces[:, np.sort(pick)]
    start = time.perf_counter()
    failures = 0
    for i in range(traces.shape[1]):
        try:
            curve_fit(damped_cosine, t, traces[:, i], p0=fft_start(t, traces[:, i]), method="lm", maxfev=2000)
        except RuntimeError:
            failures += 1
    scipy_rate = traces.shape[1] / (time.perf_counter() - start)
    return [f"stack: {args.delays} delays x {pixels} pixels, one core",
            f"  xpulse fit --threads 1: {fitted} fits, {xpulse_rate:,.0f} fits/s (fit stage); "
            f"{fitted / xpulse_wall:,.0f} fits/s for the whole command (process start, file read and write)",
            f"  scipy curve_fit (lm):   {traces.shape[1]} fits, {scipy_rate:,.0f} fits/s ({failures} did not converge)",
            f"  ratio xpulse / scipy:   {xpulse_rate / scipy_rate:,.0f}x (fit stage), "
            f"{fitted / xpulse_wall / scipy_rate:,.0f}x (whole command)"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--xpulse", default="build/apps/xpulse/xpulse")
    p.add_argument("--pixels", default="64x64", help="comma-separated detector shapes, e.g. 512x512,64x64")
    p.add_argument("--delays", type=int, default=200)
    p.add_argument("--scipy-sample", type=int, default=20000, help="most traces scipy fits per stack (its rate)")
    args = p.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with tempfile.TemporaryDirectory() as tmp:
        for pixels in args.pixels.split(","):
            print("\n".join(compare(args, pixels, tmp)), flush=True)


if __name__ == "__main__":
    main()
