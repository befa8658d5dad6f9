"""Simulate a pump-probe stack, fit every pixel and plot a frequency map, one trace and the phonon dispersion.

    /usr/bin/python3 examples/pump_probe.py [FIGURE.png]
"""
import sys

import matplotlib.pyplot as plt
import numpy as np

import xpulse

sim = xpulse.simulate_pump_probe(shape=(200, 128, 128), seed=1)                 # [delay, y, x], photons
fit = xpulse.fit_damped_cosine(sim["data"], sim["delays"], mask=sim["mask"])   # maps [y, x]
disp = xpulse.dispersion(fit, sim["detector"], sim["crystal"], harmonic=2, truth=sim["truth"]["frequency"] / 2)
print(f"{np.mean(fit['status'] == 0):.1%} of pixels converged; {disp['used'].sum()} enter the dispersion")

fig, (a, b, c) = plt.subplots(1, 3, figsize=(16, 4.5), layout="constrained")
fig.colorbar(a.imshow(np.where(fit["status"] == 0, fit["frequency"], np.nan)), ax=a, label="frequency (THz)")
y, x = np.unravel_index(np.nanargmax(np.where(disp["used"], fit["amplitude"] / fit["stderr_amplitude"], np.nan)),
                        fit["frequency"].shape)
t = np.linspace(0, sim["delays"][-1], 1000)
model = fit["offset"][y, x] + fit["amplitude"][y, x] * np.exp(-fit["damping"][y, x] * t) * np.cos(
    2 * np.pi * fit["frequency"][y, x] * t + fit["phase"][y, x])
b.plot(sim["delays"], sim["data"][:, y, x], ".", label=f"pixel ({y}, {x})"), b.plot(t, model, label="fit")
b.set(xlabel="delay (ps)", ylabel="photons"), b.legend()
c.errorbar(disp["q_mean"], disp["frequency"], disp["frequency_err"], fmt="o", label="xpulse")
c.plot(disp["q_mean"], disp["truth_frequency"], "-", label="truth")
c.set(xlabel=f"{disp['coordinate_label']} (1/Å)", ylabel="phonon frequency (THz)"), c.legend()
fig.savefig(sys.argv[1] if len(sys.argv) > 1 else "pump_probe.png", dpi=100, bbox_inches="tight")
