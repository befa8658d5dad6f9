#!/usr/bin/python3
"""The JAXfit-style peer: a straightforward batched Levenberg-Marquardt for the damped cosine, written with
jax.vmap over pixels and jitted, on the GPU JAX finds. Used by bench/compare_gpu.py on the same data as xpulse.

    jax_batched_lm.py FILE.h5 [--pixels N] [--iterations 20]

Seeds: frequency from the FFT peak, amplitude from the rms, phase 0, offset the mean, damping 1/span (what a
straightforward implementation does). Prints one line: "jax: N fits in S s (R fits/s) on DEVICE".
"""
import argparse
import time

import h5py
import jax
import jax.numpy as jnp
import numpy as np


def model(p, t):
    f, a, g, phi, c = p
    return c + a * jnp.exp(-g * t) * jnp.cos(2 * jnp.pi * f * t + phi)


def lm_one(p0, t, y, iterations):
    jac = jax.jacfwd(model)

    def step(state, _):
        p, lam, chi2 = state
        r = y - model(p, t)
        j = jac(p, t)  # [n, 5]
        jtj = j.T @ j
        jtr = j.T @ r
        delta = jnp.linalg.solve(jtj + lam * jnp.diag(jnp.diag(jtj)), jtr)
        trial = p + delta
        chi2_trial = jnp.sum((y - model(trial, t)) ** 2)
        better = chi2_trial < chi2
        p = jnp.where(better, trial, p)
        chi2 = jnp.where(better, chi2_trial, chi2)
        lam = jnp.where(better, lam * 0.1, lam * 10.0)
        return (p, lam, chi2), None

    chi2 = jnp.sum((y - model(p0, t)) ** 2)
    (p, _, chi2), _ = jax.lax.scan(step, (p0, jnp.float32(1e-3), chi2), None, length=iterations)
    return p, chi2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--pixels", type=int, default=1 << 20)
    ap.add_argument("--iterations", type=int, default=20)
    args = ap.parse_args()
    with h5py.File(args.file) as f:
        t = f["entry_1/data_1/delay"][()]
        keep = t >= 0
        data = f["entry_1/data_1/data"]
        n_delay, ny, nx = data.shape
        rows = min(ny, (args.pixels + nx - 1) // nx)
        y = data[:, :rows, :][keep].reshape(int(keep.sum()), -1)[:, : args.pixels].T.astype(np.float32)
    t = jnp.asarray(t[keep], dtype=jnp.float32)
    y = jnp.asarray(y)
    spectrum = jnp.abs(jnp.fft.rfft(y - y.mean(axis=1, keepdims=True), axis=1))
    step = float(t[1] - t[0])
    freqs = jnp.fft.rfftfreq(y.shape[1], d=step)
    p0 = jnp.stack([freqs[jnp.argmax(spectrum[:, 1:], axis=1) + 1],
                    jnp.sqrt(2.0) * y.std(axis=1),
                    jnp.full(y.shape[0], 1.0 / float(t[-1] - t[0])),
                    jnp.zeros(y.shape[0]),
                    y.mean(axis=1)], axis=1).astype(jnp.float32)
    fit = jax.jit(jax.vmap(lambda p, yy: lm_one(p, t, yy, args.iterations)))
    fit(p0[:1024], y[:1024])[0].block_until_ready()  # compile
    start = time.perf_counter()
    p, chi2 = fit(p0, y)
    p.block_until_ready()
    seconds = time.perf_counter() - start
    print(f"jax: {y.shape[0]} fits in {seconds:.3f} s ({y.shape[0] / seconds:.0f} fits/s) on {jax.devices()[0]}")


if __name__ == "__main__":
    main()
