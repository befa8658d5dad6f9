#!/usr/bin/python3
"""xpulse spectra vs the numpy equivalent, same file, same machine, one run.

Usage: /usr/bin/python3 bench/compare_spectra.py [--xpulse build/apps/xpulse/xpulse] [--shape 200x256x256]

Both compute, for every unmasked pixel of a simulated stack (uniform delays), the Hann-windowed amplitude
spectrum of the mean-removed trace after t0 = 0 on a grid 4x finer than the resolution, up to Nyquist, and average
it in the same |q - G| bins. numpy: np.fft.rfft zero-padded to 4 N per block of pixels (pocketfft, one thread),
then binning (a one-hot matrix product) with xpulse's own bin map; the stack is read once with h5py beforehand (not timed).
xpulse: the compute time it reports (reading overlapped), --threads 1 and all cores. Prints the ratios and the
largest difference between the two intensity images.
"""
import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy on one core, like pocketfft
import re
import subprocess
import tempfile
import time

import h5py
import numpy as np


def numpy_spectra(data, delays, used, bin_of, n_bins):
    first = int(np.searchsorted(delays, 0.0))
    t = delays[first:]
    n = t.size
    window = 0.5 - 0.5 * np.cos(2 * np.pi * (t - t[0]) / (t[-1] - t[0]))
    scale = 2.0 / window.sum()
    pixels = np.flatnonzero(used.ravel())
    stack = data[first:].reshape(n, -1)
    k_count = 2 * n + 1  # 0 .. Nyquist on the 4x grid of rfft(n = 4 N)
    sums = np.zeros((n_bins, k_count))
    for start in range(0, pixels.size, 4096):
        p = pixels[start:start + 4096]
        x = stack[:, p].astype(np.float64)
        x -= x.mean(axis=0)
        a = scale * np.abs(np.fft.rfft(x * window[:, None], n=4 * n, axis=0))[:k_count]
        onehot = np.zeros((n_bins, p.size))
        onehot[bin_of.ravel()[p], np.arange(p.size)] = 1.0
        sums += onehot @ a.T  # binning as a product: far faster than np.add.at
    counts = np.bincount(bin_of.ravel()[pixels], minlength=n_bins)
    with np.errstate(invalid="ignore"):
        return sums / counts[:, None]


def run_xpulse(xpulse, sim, out, threads):
    r = subprocess.run([xpulse, "spectra", sim, "--out", out, "--threads", str(threads), "--q-bins", "60"],
                       check=True, capture_output=True, text=True)
    return float(re.search(r"\), ([0-9.]+) s \(", r.stdout).group(1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--xpulse", default="build/apps/xpulse/xpulse")
    p.add_argument("--shape", default="200x256x256")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sim, out = os.path.join(tmp, "sim.h5"), os.path.join(tmp, "spectra.h5")
        subprocess.run([args.xpulse, "simulate", "pump-probe", "--out", sim, "--shape", args.shape, "--seed", "1"],
                       check=True, capture_output=True)
        one = min(run_xpulse(args.xpulse, sim, out, 1) for _ in range(3))
        cores = os.cpu_count()
        many = min(run_xpulse(args.xpulse, sim, out, cores) for _ in range(3))
        with h5py.File(out) as f:
            edges = f["spectra/q_edges"][()]
            coordinate = f["maps/coordinate"][()]
            used = f["maps/used"][()].astype(bool)
            reference = f["spectra/intensity"][()]
        with h5py.File(sim) as f:
            data = f["entry_1/data_1/data"][()]
            delays = f["entry_1/data_1/delay"][()]
        n_bins = edges.size - 1
        bin_of = np.clip(((coordinate - edges[0]) / (edges[1] - edges[0])).astype(np.int64), 0, n_bins - 1)
        start = time.perf_counter()
        image = numpy_spectra(data, delays, used, np.where(used, bin_of, 0), n_bins)
        numpy_seconds = time.perf_counter() - start
    pixels = int(used.sum())
    ok = np.isfinite(reference).all(axis=1)
    diff = np.max(np.abs(image[ok] - reference[ok])) / np.max(reference[ok])
    print(f"stack {args.shape}, {pixels} pixels, {reference.shape[1]} frequencies, {n_bins} q bins")
    print(f"numpy rfft (1 thread):   {numpy_seconds:8.3f} s  {pixels / numpy_seconds:12,.0f} pixels/s")
    print(f"xpulse --threads 1:      {one:8.3f} s  {pixels / one:12,.0f} pixels/s  ratio {numpy_seconds / one:6.1f}x")
    print(f"xpulse --threads {cores}:      {many:8.3f} s  {pixels / many:12,.0f} pixels/s  ratio {numpy_seconds / many:6.1f}x")
    print(f"largest |numpy - xpulse| / max intensity: {diff:.2e}")


if __name__ == "__main__":
    main()
