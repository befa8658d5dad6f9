"""Figures from xpulse output files: fit maps, phonon dispersion over the FT-IXS image, FT-IXS spectra, one
pixel's trace with its fit, an SPI reconstruction (central slices, FSC, per-generation history), a
ptychographic reconstruction (object phase and amplitude, probe, cost) and serial crystallography peaks (a frame
with its peaks circled, the powder pattern with resolution rings, the hit rate over frames). PNG or PDF, chosen
by the output file's extension.

Command line: ``xpulse-plot {maps,dispersion,spectra,trace,spi,ptycho,sfx,assembled,all} ...`` (``xpulse-plot --help``).
From Python::

    from xpulse import plot
    plot.fit_maps("fit.h5", "maps.png")
    plot.dispersion("dispersion.h5", "dispersion.png", spectra="spectra.h5")
    plot.trace("data.h5", "fit.h5", (120, 40), "trace.png")
    plot.spi("reconstruction.h5", "spi.png", score="score.h5")
    plot.ptycho("ptycho.h5", "ptycho.png")
    plot.sfx("frames.cxi", "peaks.h5", "sfx.png")
    plot.sfx_indexed("frames.cxi", "reflections.h5", "indexed.png")
    plot.assembled("assembled.h5", "detector.png", frame=0)
"""
import argparse
import json
import os
import sys

import h5py
import numpy as np

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import colors  # noqa: E402

STATUS_NAMES = ["converged", "max_iterations", "singular_hessian", "masked", "no_signal", "non_finite_input"]
STATUS_COLOURS = ["#2ca02c", "#ff7f0e", "#d62728", "#7f7f7f", "#9ecae1", "#000000"]
BAD_PIXEL = "#d9d9d9"  # NaN (masked, not fitted) pixels in maps, empty q bins in images
TRUTH_COLOUR = "#7cfc00"  # visible over the bright ridge of an FT-IXS image

plt.rcParams.update({"font.size": 10, "axes.titlesize": 11})


class PlotError(Exception):
    """Bad input for a figure: the message names the file and what is wrong."""


def _open(path):
    if not os.path.exists(path):
        raise PlotError(f"'{path}' does not exist")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise PlotError(f"'{path}' is not a readable HDF5 file ({e})") from None


def _dataset(f, name):
    if name not in f or not isinstance(f[name], h5py.Dataset):
        raise PlotError(f"'{f.filename}' has no dataset '{name}'")
    return f[name]


def _units(dataset, fallback=""):
    u = dataset.attrs.get("units", fallback)
    return u.decode() if isinstance(u, bytes) else str(u)


def _attr(obj, name, fallback=None):
    v = obj.attrs.get(name, fallback)
    return v.decode() if isinstance(v, bytes) else v


def _save(fig, out, dpi):
    ext = os.path.splitext(out)[1].lower()
    if ext not in (".png", ".pdf"):
        plt.close(fig)
        raise PlotError(f"output '{out}' must end in .png or .pdf")
    directory = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(directory):
        plt.close(fig)
        raise PlotError(f"output directory '{directory}' does not exist")
    # Written under a temporary name and renamed, like every xpulse output: a figure that exists is complete.
    partial = out + ".partial" + ext
    try:
        fig.savefig(partial, dpi=dpi)  # exactly figsize x dpi pixels: constrained layout keeps labels inside
        os.replace(partial, out)
    finally:
        plt.close(fig)
        if os.path.exists(partial):
            os.remove(partial)
    return out


def _robust_limits(values, lo=1.0, hi=99.0):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    a, b = np.percentile(finite, [lo, hi])
    if a == b:
        a, b = a - 0.5 * (abs(a) + 1e-12), b + 0.5 * (abs(b) + 1e-12)
    return float(a), float(b)


def _image(ax, fig, values, title, units, cmap="viridis", norm=None, vmin=None, vmax=None):
    cmap = plt.get_cmap(cmap).copy()
    cmap.set_bad(BAD_PIXEL)
    if norm is None and vmin is None:
        vmin, vmax = _robust_limits(values)
    im = ax.imshow(np.ma.masked_invalid(values), origin="upper", cmap=cmap, norm=norm, vmin=vmin, vmax=vmax,
                   interpolation="nearest")
    ax.set_title(title)
    ax.set_xlabel("x (pixel)")
    ax.set_ylabel("y (pixel)")
    bar = fig.colorbar(im, ax=ax, shrink=0.85)
    bar.set_label(units)
    return im


def fit_maps(fit_path, out, dpi=120):
    """Fit maps of an `xpulse fit` output: frequency, amplitude, damping, phase, reduced chi2 and status.

    Colour limits span the 1st to 99th percentile; grey pixels have no value (masked, no signal, not fitted).
    """
    with _open(fit_path) as f:
        if "fit" not in f:
            raise PlotError(f"'{fit_path}' has no /fit group: not an output of 'xpulse fit'")
        g = f["fit"]
        maps = {k: _dataset(f, "/fit/" + k)[()] for k in ("frequency", "amplitude", "damping", "phase", "chi2", "status")}
        units = {k: _units(g[k]) for k in ("frequency", "amplitude", "damping", "phase", "chi2")}
        model = _attr(g, "model", "damped-cosine")
    status = maps["status"].astype(float)
    fig, axes = plt.subplots(2, 3, figsize=(15, 9), constrained_layout=True)
    _image(axes[0, 0], fig, maps["frequency"], "frequency", f"frequency ({units['frequency']})")
    _image(axes[0, 1], fig, maps["amplitude"], "amplitude", f"amplitude ({units['amplitude']})", cmap="magma")
    _image(axes[0, 2], fig, maps["damping"], "damping", f"damping ({units['damping']})", cmap="cividis")
    # Dark at +-pi (simulated and typical squeezed-phonon phases), so grey no-value pixels stand out.
    _image(axes[1, 0], fig, maps["phase"], "phase", f"phase ({units['phase']})", cmap="twilight_shifted", vmin=-np.pi,
           vmax=np.pi)
    chi2 = np.where(maps["chi2"] > 0, maps["chi2"], np.nan)
    lo, hi = _robust_limits(chi2)
    _image(axes[1, 1], fig, chi2, "reduced chi2", f"reduced chi2 ({units['chi2']})", cmap="inferno",
           norm=colors.LogNorm(vmin=max(lo, 1e-12), vmax=max(hi, lo * 1.01, 1e-12)))
    status_cmap = colors.ListedColormap(STATUS_COLOURS)
    bounds = np.arange(len(STATUS_NAMES) + 1) - 0.5
    im = axes[1, 2].imshow(status, origin="upper", cmap=status_cmap, norm=colors.BoundaryNorm(bounds, len(bounds) - 1),
                           interpolation="nearest")
    axes[1, 2].set_title("fit status")
    axes[1, 2].set_xlabel("x (pixel)")
    axes[1, 2].set_ylabel("y (pixel)")
    bar = fig.colorbar(im, ax=axes[1, 2], shrink=0.85, ticks=np.arange(len(STATUS_NAMES)))
    counts = [int(np.sum(maps["status"] == s)) for s in range(len(STATUS_NAMES))]
    total = max(1, maps["status"].size)
    bar.ax.set_yticklabels([f"{n} ({100 * c / total:.1f}%)" for n, c in zip(STATUS_NAMES, counts)])
    fig.suptitle(f"{os.path.basename(fit_path)}: {model} fit, {maps['status'].shape[0]} x {maps['status'].shape[1]} "
                 f"pixels", fontsize=13)
    return _save(fig, out, dpi)


def _coordinate_axis(ax, group):
    """Labels the momentum axis; for a Brillouin-zone path, ticks at its high-symmetry points."""
    coordinate = _attr(group, "coordinate", "|q - G|")
    if coordinate == "path" and "path_positions" in group:
        positions = group["path_positions"][()]
        labels = _attr(group["path_positions"], "labels", "").split()
        ax.set_xticks(positions)
        ax.set_xticklabels(labels)
        for p in positions:
            ax.axvline(p, color="0.6", lw=0.6, zorder=1)
        ax.set_xlabel("wavevector along the path (1/Å)")
    elif coordinate == "|q|":
        ax.set_xlabel("|q| (1/Å)")
    else:
        ax.set_xlabel("reduced wavevector |q − G| (1/Å)")


def _spectra_image(ax, fig, spectra_path, frequency_scale=1.0, normalise=True):
    """Draws the FT-IXS intensity [q, frequency] of a spectra file; frequencies are divided by frequency_scale."""
    with _open(spectra_path) as f:
        if "spectra" not in f:
            raise PlotError(f"'{spectra_path}' has no /spectra group: not an output of 'xpulse spectra'")
        g = f["spectra"]
        intensity = _dataset(f, "/spectra/intensity")[()].astype(float)
        frequency = _dataset(f, "/spectra/frequency")[()]
        q_edges = _dataset(f, "/spectra/q_edges")[()]
        resolution = float(_attr(g, "resolution_thz", frequency[1] if frequency.size > 1 else 1.0))
        units = _units(g["intensity"])
    image = intensity.copy()
    if normalise:
        # Each q bin scaled to its own maximum above the first resolution step, so that weak bins show their
        # peaks as clearly as the bright ones near Bragg reflections.
        above = frequency >= resolution
        peak = np.nanmax(np.where(above[None, :], image, np.nan), axis=1, initial=0.0)
        peak[~(peak > 0)] = np.nan
        image = image / peak[:, None]
    step = frequency[1] - frequency[0] if frequency.size > 1 else 1.0
    f_edges = (np.concatenate([frequency - 0.5 * step, [frequency[-1] + 0.5 * step]])) / frequency_scale
    f_edges[0] = max(f_edges[0], 0.0)
    cmap = plt.get_cmap("magma").copy()
    cmap.set_bad(BAD_PIXEL)  # q bins without pixels
    mesh = ax.pcolormesh(q_edges, f_edges, np.ma.masked_invalid(image.T), cmap=cmap, shading="flat",
                         vmin=0.0, vmax=1.0 if normalise else None, rasterized=True)
    bar = fig.colorbar(mesh, ax=ax, pad=0.02)
    bar.set_label("FT-IXS amplitude, normalised per q bin" if normalise else f"FT-IXS amplitude ({units})")
    return resolution


def dispersion(dispersion_path, out, spectra=None, dpi=150):
    """Phonon dispersion (points with error bars) over the FT-IXS image of `spectra` (optional), with the true
    branch when the input was simulated."""
    with _open(dispersion_path) as f:
        if "dispersion" not in f:
            raise PlotError(f"'{dispersion_path}' has no /dispersion group: not an output of 'xpulse dispersion'")
        g = f["dispersion"]
        q = _dataset(f, "/dispersion/q_mean")[()]
        freq = _dataset(f, "/dispersion/frequency")[()]
        err = _dataset(f, "/dispersion/frequency_err")[()]
        count = _dataset(f, "/dispersion/count")[()]
        truth = g["truth_frequency"][()] if "truth_frequency" in g else None
        q_centre = g["q"][()]
        harmonic = float(_attr(g, "harmonic", 1.0))
        fig, ax = plt.subplots(figsize=(8, 5.5), constrained_layout=True)
        _coordinate_axis(ax, g)
        q_edges = g["q_edges"][()]
    has_image = spectra is not None
    if has_image:
        _spectra_image(ax, fig, spectra, frequency_scale=harmonic)
    ok = count > 0
    point_colour = "#00e5ff" if has_image else "#1f77b4"
    if truth is not None:
        # NaN in empty bins breaks the line instead of bridging gaps in the detector's coverage.
        ax.plot(q_centre, truth, "--", color=TRUTH_COLOUR if has_image else "0.3", lw=1.4, label="true branch",
                zorder=5)
    ax.errorbar(q[ok], freq[ok], yerr=err[ok], fmt="o", ms=4, color=point_colour, ecolor=point_colour,
                elinewidth=1.2, capsize=2, label=f"fit: f / {harmonic:g}", zorder=4)
    ax.set_xlim(q_edges[0], q_edges[-1])
    top = np.nanmax(np.concatenate([freq[ok] + err[ok], truth[np.isfinite(truth)] if truth is not None else []]))
    ax.set_ylim(0.0, 1.25 * top if np.isfinite(top) and top > 0 else 1.0)
    ax.set_ylabel("phonon frequency (THz)")
    ax.set_title(f"Phonon dispersion: {int(count.sum())} pixels in {int(ok.sum())} bins"
                 + (f" (image: FT-IXS frequency / {harmonic:g})" if has_image else ""))
    legend = ax.legend(loc="lower right", framealpha=0.85)
    legend.set_zorder(5)
    return _save(fig, out, dpi)


def spectra(spectra_path, out, dpi=150):
    """The FT-IXS image of an `xpulse spectra` output (observed frequencies), with each bin's peak and the truth
    when the input was simulated."""
    fig, ax = plt.subplots(figsize=(8, 5.5), constrained_layout=True)
    resolution = _spectra_image(ax, fig, spectra_path)
    with _open(spectra_path) as f:
        g = f["spectra"]
        _coordinate_axis(ax, g)
        q = g["q"][()]
        peak = g["peak_frequency"][()]
        truth = g["truth_frequency"][()] if "truth_frequency" in g else None
    ok = np.isfinite(peak)
    ax.plot(q[ok], peak[ok], "o", ms=4, mfc="none", mec="#00e5ff", mew=1.0, label="peak of each q bin")
    if truth is not None:
        ax.plot(q, truth, "--", color=TRUTH_COLOUR, lw=1.2, label="truth")
    ax.set_ylabel("frequency of the intensity oscillation (THz)")
    ax.set_title(f"FT-IXS spectra (resolution {resolution:.3g} THz)")
    ax.legend(loc="upper right", framealpha=0.85)
    return _save(fig, out, dpi)


def _model(params, t, model, t0):
    tt = t - t0
    y = params["offset"] + params["amplitude"] * np.exp(-params["damping"] * tt) * np.cos(
        2 * np.pi * params["frequency"] * tt + params["phase"])
    if model == "damped-cosine-exp":
        y = y + params["background"] * np.exp(-tt / params["background_tau"])
    return y


def trace(data_path, fit_path, pixel, out, dpi=150):
    """One pixel's trace against delay with the fitted model and its residuals."""
    y, x = pixel
    with _open(fit_path) as f:
        if "fit" not in f:
            raise PlotError(f"'{fit_path}' has no /fit group: not an output of 'xpulse fit'")
        g = f["fit"]
        ny, nx = _dataset(f, "/fit/status").shape
        if not (0 <= y < ny and 0 <= x < nx):
            raise PlotError(f"--pixel {y},{x} is outside the {ny} x {nx} maps")
        model = _attr(g, "model", "damped-cosine")
        t0 = float(_attr(g, "t0_ps", 0.0))
        names = [k for k in g if isinstance(g[k], h5py.Dataset) and k not in ("chi2", "status", "iterations")]
        params = {k: float(g[k][y, x]) for k in names}
        errors = {k: float(g["stderr"][k][y, x]) for k in names if "stderr" in g and k in g["stderr"]}
        units = {k: _units(g[k]) for k in names}
        status = int(g["status"][y, x])
        chi2 = float(g["chi2"][y, x])
    with _open(data_path) as f:
        data = _dataset(f, "/entry_1/data_1/data")
        if data.ndim != 3 or data.shape[1:] != (ny, nx):
            raise PlotError(f"'/entry_1/data_1/data' in '{data_path}' is {data.shape}, not [delay, {ny}, {nx}] like "
                            "the fit")
        values = data[:, y, x].astype(float)
        delays = _dataset(f, "/entry_1/data_1/delay")[()]
        data_units = _units(data, "counts")
    after = delays >= t0
    fig, (ax, res) = plt.subplots(2, 1, figsize=(9, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]},
                                  constrained_layout=True)
    ax.plot(delays[~after], values[~after], "o", ms=3, color="0.65", label="before t0 (not fitted)")
    ax.plot(delays[after], values[after], "o", ms=3, color="#1f77b4", label="data")
    fitted = status in (0, 1) and np.isfinite(params.get("frequency", np.nan))
    if fitted:
        t = np.linspace(max(t0, delays[after].min()), delays.max(), 2000)
        ax.plot(t, _model(params, t, model, t0), color="#d62728", lw=1.5, label="fit")
        res.plot(delays[after], values[after] - _model(params, delays[after], model, t0), "o", ms=2.5,
                 color="#1f77b4")
    res.axhline(0.0, color="0.3", lw=0.8)
    ax.axvline(t0, color="0.5", ls=":", lw=1)
    ax.set_ylabel(f"intensity ({data_units})")
    res.set_ylabel(f"residual ({data_units})")
    res.set_xlabel("delay (ps)")
    lines = [f"status: {STATUS_NAMES[status] if status < len(STATUS_NAMES) else status}"]
    if fitted:
        for k in ("frequency", "damping", "amplitude", "phase", "offset"):
            e = errors.get(k, np.nan)
            lines.append(f"{k} = {params[k]:.4g} ± {e:.2g} {units[k]}")
        lines.append(f"reduced chi2 = {chi2:.3g}")
    ax.text(1.0, 1.02, "\n".join(lines), transform=ax.transAxes, ha="right", va="bottom", fontsize=8.5,
            family="monospace")
    ax.set_title(f"pixel (y={y}, x={x})", loc="left")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.18 * (hi - lo))  # room for the legend above the data
    ax.legend(loc="upper left", ncol=3, fontsize=8.5, framealpha=0.85)
    return _save(fig, out, dpi)


def _central_slices(axes, fig, density, voxel, title, units="arbitrary"):
    """The three central planes of a centred [z][y][x] density, in angstrom, sharing one colour scale."""
    m = density.shape[0]
    c = m // 2
    half = (m / 2) * voxel
    extent = (-half, half, half, -half)
    planes = [(density[c], "z = 0", "x", "y"), (density[:, c, :], "y = 0", "x", "z"),
              (density[:, :, c], "x = 0", "y", "z")]
    vmin, vmax = _robust_limits(density, 0.5, 99.9)
    for ax, (plane, where, h, v) in zip(axes, planes):
        im = ax.imshow(plane, origin="upper", cmap="magma", vmin=vmin, vmax=vmax, extent=extent,
                       interpolation="nearest")
        ax.set_title(f"{title}, {where}")
        ax.set_xlabel(f"{h} (Å)")
        ax.set_ylabel(f"{v} (Å)")
    fig.colorbar(im, ax=list(axes), shrink=0.85).set_label(f"density ({units})")


def spi(reconstruction_path, out, score=None, dpi=120):
    """An `xpulse spi reconstruct` output: the density's central slices and the per-generation history (Fourier
    error, orientation change). With `score` (the --out of `xpulse spi score`) the slices are of the aligned
    density, above the truth's, and the FSC curve with its 0.5 crossing is drawn."""
    with _open(reconstruction_path) as f:
        if "reconstruction" not in f:
            raise PlotError(f"'{reconstruction_path}' has no /reconstruction group: not an output of "
                            "'xpulse spi reconstruct'")
        density = _dataset(f, "/reconstruction/density")[()]
        voxel = float(_attr(f["reconstruction"], "voxel_size", 1.0))
        generation = _dataset(f, "/history/generation")[()]
        fourier_error = _dataset(f, "/history/fourier_error")[()]
        change = _dataset(f, "/history/orientation_change")[()]
    scored = None
    if score is not None:
        with _open(score) as f:
            if "score" not in f:
                raise PlotError(f"'{score}' has no /score group: not the --out of 'xpulse spi score'")
            scored = {k: _dataset(f, "/score/" + k)[()] for k in
                      ("aligned_density", "truth_density", "frequency", "fsc", "cc", "resolution")}
            scored["edge"] = float(f["/score/edge_resolution"][()]) if "edge_resolution" in f["score"] else None
        if scored["aligned_density"].shape != density.shape:
            raise PlotError(f"'{score}' scores a {scored['aligned_density'].shape[0]}^3 density, but "
                            f"'{reconstruction_path}' holds a {density.shape[0]}^3 one")
    rows = 2 if scored else 1
    fig = plt.figure(figsize=(17, 4.2 * rows), constrained_layout=True)
    grid = fig.add_gridspec(rows, 4)
    top = [fig.add_subplot(grid[0, i]) for i in range(3)]
    if scored:
        _central_slices(top, fig, scored["aligned_density"], voxel, "aligned reconstruction")
        _central_slices([fig.add_subplot(grid[1, i]) for i in range(3)], fig, scored["truth_density"], voxel,
                        "truth", units="electrons per voxel")
        ax = fig.add_subplot(grid[0, 3])
        ax.plot(scored["frequency"], scored["fsc"], "o-", ms=3, color="#1f77b4", label="FSC")
        ax.axhline(0.5, color="0.4", ls="--", lw=1, label="0.5")
        if scored["edge"] and np.isfinite(scored["edge"]):
            ax.axvline(1 / scored["edge"], color="#d62728", ls=":", lw=1.2, label=f"detector edge "
                       f"{scored['edge']:.1f} Å")
        ax.set_xlabel("spatial frequency (1/Å)")
        ax.set_ylabel("FSC")
        ax.set_ylim(min(0.0, float(np.nanmin(scored["fsc"]))) - 0.05, 1.05)
        # A curve that never falls below 0.5 bounds the resolution by its last shell.
        bound = "better than " if scored["fsc"][-1] >= 0.5 else ""
        ax.set_title(f"CC {float(scored['cc']):.3f}, FSC 0.5 at {bound}{float(scored['resolution']):.1f} Å")
        ax.legend(loc="lower left", framealpha=0.85)
        history_ax = fig.add_subplot(grid[1, 3])
    else:
        _central_slices(top, fig, density, voxel, "reconstruction")
        history_ax = fig.add_subplot(grid[0, 3])
    history_ax.plot(generation, fourier_error, "o-", ms=3, color="#1f77b4")
    history_ax.set_xlabel("generation")
    history_ax.set_ylabel("Fourier error", color="#1f77b4")
    twin = history_ax.twinx()
    twin.plot(generation[1:], change[1:], "s-", ms=3, color="#ff7f0e")
    twin.set_ylabel("median orientation change (rad)", color="#ff7f0e")
    history_ax.set_title(f"{len(generation)} generations, voxel {voxel:.2f} Å")
    return _save(fig, out, dpi)


def ptycho(reconstruction_path, out, dpi=120):
    """An `xpulse ptycho reconstruct` output: the object's phase and amplitude (in micrometres), the probe's
    amplitude and phase, and the cost per iteration, coloured by the engine that ran it, with where the probe
    started to be refined and the final model's cost against what Poisson noise alone would leave."""
    with _open(reconstruction_path) as f:
        if "reconstruction" not in f or "object" not in f["reconstruction"]:
            raise PlotError(f"'{reconstruction_path}' has no /reconstruction/object: not an output of "
                            "'xpulse ptycho reconstruct'")
        obj = _dataset(f, "/reconstruction/object")[()]
        probe = _dataset(f, "/reconstruction/probe")[()]
        positions = _dataset(f, "/reconstruction/positions")[()]
        cost = _dataset(f, "/history/cost")[()]
        history = f["history"]
        engines = history["algorithm"][()] if "algorithm" in history else np.full(len(cost), -1)
        refined = history["probe_refined"][()] if "probe_refined" in history else np.zeros(len(cost), bool)
        pixel = float(_attr(f["reconstruction"], "pixel_size", 1e-6))
        algorithm = _attr(f["reconstruction"], "algorithm", "")
        model_cost = float(_attr(f["reconstruction"], "model_cost", np.nan))
        expected = float(_attr(f["reconstruction"], "expected_cost", np.nan))
        preview = _attr(f["reconstruction"], "preview", "")
    if not np.iscomplexobj(obj) or not np.iscomplexobj(probe):
        raise PlotError(f"'{reconstruction_path}' does not hold a complex object and probe")
    n = probe.shape[0]
    # The scanned area: the windows' bounding box, where the object is constrained.
    top, left = positions.min(axis=0)
    bottom, right = positions.max(axis=0) + n
    lit = obj[top:bottom, left:right]
    extent_um = (left * pixel * 1e6, right * pixel * 1e6, bottom * pixel * 1e6, top * pixel * 1e6)
    fig, axes = plt.subplots(1, 5, figsize=(22, 4.6), constrained_layout=True,
                             gridspec_kw={"width_ratios": [1, 1, 0.8, 0.8, 1]})
    phase = np.angle(lit * np.exp(-1j * np.angle(np.mean(lit))))  # global phase removed for display
    for ax, values, title, cmap, units in ((axes[0], phase, "object phase", "twilight", "rad"),
                                           (axes[1], np.abs(lit), "object amplitude", "gray", "")):
        vmin, vmax = _robust_limits(values, 0.5, 99.5)
        im = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, extent=extent_um, interpolation="nearest")
        ax.set_title(title)
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("y (µm)")
        fig.colorbar(im, ax=ax, shrink=0.85).set_label(units)
    half = n / 2 * pixel * 1e6
    probe_extent = (-half, half, half, -half)
    im = axes[2].imshow(np.abs(probe) ** 2, cmap="magma", extent=probe_extent, interpolation="nearest")
    axes[2].set_title("probe intensity")
    axes[2].set_xlabel("x (µm)")
    fig.colorbar(im, ax=axes[2], shrink=0.85).set_label("photons per pixel")
    strong = np.abs(probe) > 0.05 * np.abs(probe).max()
    im = axes[3].imshow(np.where(strong, np.angle(probe), np.nan), cmap="twilight", vmin=-np.pi, vmax=np.pi,
                        extent=probe_extent, interpolation="nearest")
    axes[3].set_title("probe phase (>5% of peak)")
    axes[3].set_xlabel("x (µm)")
    fig.colorbar(im, ax=axes[3], shrink=0.85).set_label("rad")
    iterations = np.arange(len(cost))
    names = {0: "ePIE", 1: "DM", 2: "ML", -1: algorithm}
    colours = {0: "#2ca02c", 1: "#ff7f0e", 2: "#1f77b4", -1: "#1f77b4"}
    for code in np.unique(engines):
        mine = engines == code
        axes[4].semilogy(iterations[mine], cost[mine], ".-", ms=2, color=colours.get(int(code), "k"),
                         label=names.get(int(code), str(code)))
    if refined.any() and not refined.all():
        axes[4].axvline(int(np.argmax(refined)), color="0.5", ls=":", lw=1, label="probe refined from here")
    if np.isfinite(expected) and expected > 0:
        axes[4].axhline(expected, color="k", ls="--", lw=1,
                        label=f"Poisson expectation (final model {model_cost / expected:.2f}x)")
    axes[4].legend(fontsize=8)
    axes[4].set_xlabel("iteration")
    axes[4].set_ylabel("cost / total intensity")
    title = f"{algorithm}: {len(cost)} iterations, {len(positions)} positions"
    axes[4].set_title(f"preview, {title}" if preview else title)
    return _save(fig, out, dpi)


def sfx_indexed(frames_path, reflections_path, out, frame=None, dpi=120):
    """`xpulse sfx process` output over its input: one frame (default: the one with most reflections) with its
    predicted reflections (circles of the peak radius, a colour per lattice) and its peaks (crosses: indexed in
    the lattice's colour, others grey), and I/sigma of every reflection against resolution."""
    with _open(reflections_path) as f:
        if "reflections/intensity" not in f:
            raise PlotError(f"'{reflections_path}' has no /reflections: not an output of 'xpulse sfx process'")
        r_frame = f["/reflections/frame"][()]
        rx, ry = f["/reflections/x"][()], f["/reflections/y"][()]
        lattice = f["/reflections/lattice"][()]
        intensity, sigma, d = f["/reflections/intensity"][()], f["/reflections/sigma"][()], f["/reflections/d"][()]
        p_frame, px, py = f["/peaks/frame"][()], f["/peaks/x"][()], f["/peaks/y"][()]
        p_lattice = f["/peaks/lattice"][()]
        frames_total = len(f["/frames/hit"])
        radius = float(str(f["/indexing"].attrs.get("int_radius", "4,5,7")).split(",")[0])
    j = int(np.bincount(r_frame, minlength=frames_total).argmax()) if frame is None else int(frame)
    if not 0 <= j < frames_total:
        raise PlotError(f"--frame {j} is outside the {frames_total} frames")
    with _open(frames_path) as f:
        data = _dataset(f, "/entry_1/data_1/data")
        if data.shape[0] != frames_total:
            raise PlotError(f"'{frames_path}' has {data.shape[0]} frames but '{reflections_path}' {frames_total}")
        image = data[j]
    colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]
    fig, axes = plt.subplots(1, 2, figsize=(14, 6.5), constrained_layout=True, gridspec_kw={"width_ratios": [1.1, 1]})
    vmin, vmax = _robust_limits(image, 1, 99.8)
    axes[0].imshow(image, cmap="gray_r", vmin=vmin, vmax=vmax, interpolation="nearest")
    here = r_frame == j
    for l in np.unique(lattice[here]):
        sel = here & (lattice == l)
        for x, y in zip(rx[sel], ry[sel]):
            axes[0].add_patch(plt.Circle((x, y), radius, fill=False, color=colours[l % 4], lw=0.7))
    peaks = p_frame == j
    axes[0].scatter(px[peaks & (p_lattice < 0)], py[peaks & (p_lattice < 0)], marker="x", s=25, c="#7f7f7f",
                    linewidths=0.8, label="peak, not indexed")
    for l in np.unique(p_lattice[peaks & (p_lattice >= 0)]):
        sel = peaks & (p_lattice == l)
        axes[0].scatter(px[sel], py[sel], marker="x", s=25, c=colours[l % 4], linewidths=0.8,
                        label=f"peak indexed by lattice {l}")
    axes[0].set_xlim(0, image.shape[1])
    axes[0].set_ylim(image.shape[0], 0)
    axes[0].legend(loc="upper right", fontsize=8)
    lattices = len(np.unique(lattice[here]))
    axes[0].set_title(f"frame {j}: {int(here.sum())} predicted reflections, {lattices} lattice(s), "
                      f"{int(peaks.sum())} peaks")
    axes[0].set_xlabel("x (pixel)")
    axes[0].set_ylabel("y (pixel)")
    ok = sigma > 0
    axes[1].plot(1 / d[ok] ** 2, intensity[ok] / sigma[ok], ".", ms=2, color="#1f77b4", alpha=0.5)
    axes[1].axhline(0, color="#7f7f7f", lw=0.6)
    axes[1].set_xlabel("1/d² (1/Å²)")
    axes[1].set_ylabel("I / sigma")
    axes[1].set_title(f"{int(ok.sum())} reflections of {len(np.unique(r_frame))} indexed frames")
    return _save(fig, out, dpi)


def sfx_stats(statistics_path, out, dpi=120):
    """`xpulse sfx merge` statistics against resolution: CC1/2 (and by sigma-tau) with CC*, completeness,
    <I/sigma> and Rsplit per shell, at each shell's middle in 1/d^2."""
    with _open(statistics_path) as f:
        if "statistics/cc_half" not in f:
            raise PlotError(f"'{statistics_path}' has no /statistics: not an output of 'xpulse sfx merge' "
                            "(for .mtz and .hkl outputs, give OUT.stats.h5)")
        st = {k: f["/statistics/" + k][()] for k in ("d_max", "d_min", "cc_half", "cc_half_sigma_tau", "cc_star",
                                                      "completeness", "mean_i_over_sigma", "r_split")}
        group = f["/statistics"].attrs.get("point_group", "")
    x = 0.5 * (st["d_max"] ** -2.0 + st["d_min"] ** -2.0)
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), constrained_layout=True)
    panels = [(axes[0, 0], [("cc_half", "CC1/2"), ("cc_half_sigma_tau", "CC1/2 (sigma-tau)"), ("cc_star", "CC*")],
               "correlation", (0, 1.02)),
              (axes[0, 1], [("completeness", "completeness")], "completeness (%)", None),
              (axes[1, 0], [("mean_i_over_sigma", "<I/sigma>")], "<I/sigma>", None),
              (axes[1, 1], [("r_split", "Rsplit")], "Rsplit (%)", None)]
    for ax, series, label, limits in panels:
        for key, name in series:
            scale = 100 if key in ("completeness", "r_split") else 1
            ax.plot(x, st[key] * scale, "o-", ms=4, label=name)
        ax.set_ylabel(label)
        ax.set_xlabel("1/d² (1/Å²)")
        if limits:
            ax.set_ylim(*limits)
        if len(series) > 1:
            ax.legend(fontsize=8)
        top = ax.secondary_xaxis("top", functions=(lambda v: np.sqrt(1 / np.maximum(v, 1e-6)),
                                                   lambda d: 1 / np.maximum(d, 1e-6) ** 2))
        top.set_xlabel("d (Å)")
    fig.suptitle(f"merge statistics, point group {group}, {len(x)} shells of equal volume")
    return _save(fig, out, dpi)


def sfx(frames_path, peaks_path, out, frame=None, dpi=120):
    """`xpulse sfx peaks` output over its input: one frame (default: the one with most peaks) with its peaks
    circled, the virtual powder pattern with resolution rings, and the peak count and running hit rate over
    frames."""
    with _open(peaks_path) as f:
        if "entry_1/result_1/nPeaks" not in f:
            raise PlotError(f"'{peaks_path}' has no /entry_1/result_1/nPeaks: not an output of 'xpulse sfx peaks'")
        count = f["/entry_1/result_1/nPeaks"][()]
        px, py = f["/entry_1/result_1/peakXPosRaw"], f["/entry_1/result_1/peakYPosRaw"]
        hit = f["/entry_1/result_1/hit"][()]
        powder = f["/entry_1/result_1/powder"][()]
        j = int(np.argmax(count)) if frame is None else int(frame)
        if not 0 <= j < len(count):
            raise PlotError(f"--frame {j} is outside the {len(count)} frames")
        x, y = px[j, :count[j]], py[j, :count[j]]
    with _open(frames_path) as f:
        data = _dataset(f, "/entry_1/data_1/data")
        if data.shape[0] != len(count):
            raise PlotError(f"'{frames_path}' has {data.shape[0]} frames but '{peaks_path}' {len(count)}")
        image = data[j]
        det = f["/entry_1/instrument_1/detector_1"] if "entry_1/instrument_1/detector_1" in f else None
        geometry = None
        if det is not None and all(k in det for k in ("distance", "x_pixel_size")) and \
                "entry_1/instrument_1/source_1/energy" in f:
            energy = float(f["/entry_1/instrument_1/source_1/energy"][()])
            wavelength = 1.98644586e-25 / energy * 1e10 if energy < 1e-10 else 12398.4198 / energy
            geometry = (float(det["distance"][()]), float(det["x_pixel_size"][()]), wavelength,
                        float(det["beam_center_x"][()]) if "beam_center_x" in det else image.shape[1] / 2,
                        float(det["beam_center_y"][()]) if "beam_center_y" in det else image.shape[0] / 2)
    fig, axes = plt.subplots(1, 3, figsize=(19, 6), constrained_layout=True,
                             gridspec_kw={"width_ratios": [1, 1, 1.1]})
    vmin, vmax = _robust_limits(image, 1, 99.8)
    axes[0].imshow(image, cmap="gray_r", vmin=vmin, vmax=vmax, interpolation="nearest")
    axes[0].scatter(x, y, s=80, facecolors="none", edgecolors="#d62728", linewidths=0.8)
    axes[0].set_title(f"frame {j}: {count[j]} peaks" + (" (hit)" if hit[j] else ""))
    axes[0].set_xlabel("x (pixel)")
    axes[0].set_ylabel("y (pixel)")
    vmin, vmax = _robust_limits(powder, 1, 99.9)
    axes[1].imshow(powder, cmap="magma", vmin=vmin, vmax=vmax, interpolation="nearest")
    axes[1].set_title(f"powder: sum of {int(hit.sum())} hits")
    axes[1].set_xlabel("x (pixel)")
    if geometry is not None:
        distance, pixel, wavelength, cx, cy = geometry
        for d in (8.0, 4.0, 3.0, 2.5, 2.0):
            two_theta = 2 * np.arcsin(min(1.0, wavelength / (2 * d)))
            r = distance * np.tan(two_theta) / pixel
            if r < max(powder.shape):
                axes[1].add_patch(plt.Circle((cx, cy), r, fill=False, color="#7cfc00", lw=0.8, ls="--"))
                axes[1].text(cx + r * 0.707, cy - r * 0.707, f"{d:g} Å", color="#7cfc00", fontsize=9, clip_on=True)
        axes[1].set_xlim(0, powder.shape[1])
        axes[1].set_ylim(powder.shape[0], 0)
    frames = np.arange(len(count))
    axes[2].plot(frames, count, ".", ms=3, color="#1f77b4", label="peaks per frame")
    axes[2].set_xlabel("frame")
    axes[2].set_ylabel("peaks", color="#1f77b4")
    twin = axes[2].twinx()
    twin.plot(frames, 100 * np.cumsum(hit) / (frames + 1), "-", color="#ff7f0e", label="hit rate")
    twin.set_ylabel("running hit rate (%)", color="#ff7f0e")
    axes[2].set_title(f"{len(count)} frames, hit rate {100 * hit.mean():.1f}%")
    return _save(fig, out, dpi)


def assembled(assembled_path, out, frame=0, log=False, dpi=120):
    """One frame of 'xpulse geometry assemble' output: the detector as it sits in the lab, axes in mm from the
    beam, gaps grey; log scale with log=True."""
    with _open(assembled_path) as f:
        image = _dataset(f, "/entry_1/data_1/assembled")
        if image.ndim != 3:
            raise PlotError(f"'{assembled_path}' /entry_1/data_1/assembled has {image.ndim} dimensions; expected 3")
        if not 0 <= frame < image.shape[0]:
            raise PlotError(f"frame {frame} is outside '{assembled_path}' (0..{image.shape[0] - 1})")
        values = image[frame].astype(np.float64)
        size, x0, y0 = (float(_attr(image, k, np.nan)) for k in ("pixel_size_m", "x0_m", "y0_m"))
        units = _units(image, "ADU")
        geometry = _attr(image, "geometry", "")
    if not np.isfinite([size, x0, y0]).all():
        raise PlotError(f"'{assembled_path}' lacks the pixel_size_m, x0_m, y0_m attributes of an assembled image")
    h, w = values.shape
    extent = [1e3 * (x0 - size / 2), 1e3 * (x0 + (w - 0.5) * size), 1e3 * (y0 + (h - 0.5) * size),
              1e3 * (y0 - size / 2)]
    fig, ax = plt.subplots(figsize=(7, 6.2), layout="constrained")
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad(BAD_PIXEL)
    if log:
        positive = values[np.isfinite(values) & (values > 0)]
        lo, hi = (np.percentile(positive, [1, 99.9]) if positive.size else (1.0, 10.0))
        norm, vmin, vmax = colors.LogNorm(vmin=max(lo, 1e-12), vmax=max(hi, lo * 10)), None, None
        shown = np.where(values > 0, values, np.nan)
    else:
        norm = None
        vmin, vmax = _robust_limits(values, 1.0, 99.9)
        shown = values
    im = ax.imshow(np.ma.masked_invalid(shown), origin="upper", extent=extent, cmap=cmap, norm=norm, vmin=vmin,
                   vmax=vmax, interpolation="nearest")
    ax.plot([0], [0], marker="+", color="red", markersize=12)  # the beam axis
    ax.set_xlabel("x (mm)")
    ax.set_ylabel("y (mm)")
    ax.set_title(f"frame {frame}" + (f" ({os.path.basename(geometry)})" if geometry else ""))
    fig.colorbar(im, ax=ax, shrink=0.85).set_label(units)
    return _save(fig, out, dpi)


def _weather_units_from_sqlite(database, run):
    import sqlite3
    if not os.path.exists(database):
        raise PlotError(f"run database '{database}' does not exist")
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            head = db.execute("SELECT command, started, ranks FROM runs WHERE id = ?", (run,)).fetchone()
            units = db.execute("SELECT rank, started, ended, bytes FROM work_units WHERE run = ? ORDER BY rowid",
                               (run,)).fetchall()
    except sqlite3.DatabaseError as e:
        raise PlotError(f"'{database}' is not a readable run database ({e})") from None
    if head is None:
        raise PlotError(f"run {run} is not in '{database}'")
    return head, units


def _weather_units_from_json(path):
    """The export of `xpulse runs weather` (any database backend): {command, started, ranks, work_units: [...]}."""
    try:
        with open(path) as f:
            j = json.load(f)
        head = (j["command"], j["started"], j["ranks"])
        units = [(u["rank"], u["started"], u["ended"], u["bytes"]) for u in j["work_units"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise PlotError(f"'{path}' is not a work-unit export of xpulse runs ({e})") from None
    return head, units


def weather(database, run, out, dpi=120, units_json=None):
    """The "computational weather plot" of a recorded run (`xpulse runs`): each rank's work units as bars along
    time, coloured by their processing rate (MB/s), so that slow ranks and slow units stand out. The units come
    from an SQLite run database, or from `units_json` (what `xpulse runs weather` exports from any backend)."""
    head, units = _weather_units_from_json(units_json) if units_json else _weather_units_from_sqlite(database, run)
    if not units:
        raise PlotError(f"run {run} ({head[0]}) recorded no work units")
    command, started, ranks = head
    rank = np.array([u[0] for u in units])
    begin = np.array([u[1] for u in units]) - started
    length = np.maximum(np.array([u[2] for u in units]) - np.array([u[1] for u in units]), 1e-9)
    rate = np.array([u[3] for u in units]) / length / 1e6
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.5 * max(ranks, rank.max() + 1)), constrained_layout=True)
    norm = colors.Normalize(vmin=np.percentile(rate, 2), vmax=np.percentile(rate, 98))
    cmap = plt.get_cmap("viridis")
    for r in range(int(rank.max()) + 1):
        mine = rank == r
        ax.broken_barh(list(zip(begin[mine], length[mine])), (r - 0.4, 0.8), facecolors=cmap(norm(rate[mine])),
                       edgecolor="none")
    ax.set_yticks(range(int(rank.max()) + 1))
    ax.set_ylabel("rank")
    ax.set_xlabel("seconds since the run started")
    ax.invert_yaxis()
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax).set_label("MB/s per work unit")
    ax.set_title(f"run {run}: {command}, {len(units)} work units on {int(rank.max()) + 1} rank(s)")
    return _save(fig, out, dpi)


def _pixel(text):
    try:
        y, x = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--pixel '{text}' must be Y,X (two integers)") from None
    return y, x


def _parser():
    p = argparse.ArgumentParser(prog="xpulse-plot", description="Figures from xpulse output files (PNG or PDF, "
                                "chosen by the extension of --out).")
    sub = p.add_subparsers(dest="figure", required=True)
    m = sub.add_parser("maps", help="fit maps with colour bars and units")
    m.add_argument("fit", help="output of 'xpulse fit'")
    m.add_argument("--out", required=True)
    d = sub.add_parser("dispersion", help="phonon dispersion, optionally over the FT-IXS image")
    d.add_argument("dispersion", help="output of 'xpulse dispersion'")
    d.add_argument("--spectra", help="output of 'xpulse spectra' drawn underneath")
    d.add_argument("--out", required=True)
    s = sub.add_parser("spectra", help="FT-IXS image with the peak of each q bin")
    s.add_argument("spectra", help="output of 'xpulse spectra'")
    s.add_argument("--out", required=True)
    t = sub.add_parser("trace", help="one pixel's trace with its fit")
    t.add_argument("data", help="the input of 'xpulse fit'")
    t.add_argument("--fit", required=True, help="output of 'xpulse fit'")
    t.add_argument("--pixel", required=True, type=_pixel, help="Y,X")
    t.add_argument("--out", required=True)
    r = sub.add_parser("spi", help="SPI reconstruction: central slices, history, and the FSC with --score")
    r.add_argument("reconstruction", help="output of 'xpulse spi reconstruct'")
    r.add_argument("--score", help="the --out of 'xpulse spi score' (aligned slices, truth, FSC)")
    r.add_argument("--out", required=True)
    pt = sub.add_parser("ptycho", help="ptychography: object phase and amplitude, probe, cost")
    pt.add_argument("reconstruction", help="output of 'xpulse ptycho reconstruct'")
    pt.add_argument("--out", required=True)
    x = sub.add_parser("sfx", help="serial crystallography: a frame with its peaks, the powder pattern, hit rate")
    x.add_argument("frames", help="the input of 'xpulse sfx peaks' or 'xpulse sfx process'")
    which = x.add_mutually_exclusive_group(required=True)
    which.add_argument("--peaks", help="output of 'xpulse sfx peaks'")
    which.add_argument("--reflections", help="output of 'xpulse sfx process': predictions and indexed peaks")
    x.add_argument("--frame", type=int, help="frame to draw (default: the one with most peaks)")
    x.add_argument("--out", required=True)
    asm = sub.add_parser("assembled", help="a frame of 'xpulse geometry assemble' output in lab coordinates")
    asm.add_argument("images", help="output of 'xpulse geometry assemble'")
    asm.add_argument("--frame", type=int, default=0)
    asm.add_argument("--log", action="store_true", help="logarithmic colour scale")
    asm.add_argument("--out", required=True)
    ms = sub.add_parser("sfx-stats", help="merge statistics: CC1/2, CC*, completeness, <I/sigma>, Rsplit by shell")
    ms.add_argument("statistics", help="the .h5 output of 'xpulse sfx merge' (or OUT.stats.h5 beside .mtz/.hkl)")
    ms.add_argument("--out", required=True)
    w = sub.add_parser("weather", help="a recorded run's work units per rank along time, coloured by rate")
    w.add_argument("run", type=int, help="run id (xpulse runs list)")
    w.add_argument("--db", default=os.environ.get("XPULSE_DB") or os.path.expanduser("~/.local/share/xpulse/runs.db"),
                   help="run database (default: $XPULSE_DB or ~/.local/share/xpulse/runs.db)")
    w.add_argument("--units", help="work units exported by `xpulse runs weather` (instead of --db)")
    w.add_argument("--out", required=True)
    a = sub.add_parser("all", help="every figure the given files allow, into a folder")
    a.add_argument("--data", help="input of 'xpulse fit' (for the trace)")
    a.add_argument("--fit")
    a.add_argument("--dispersion")
    a.add_argument("--spectra")
    a.add_argument("--pixel", type=_pixel, help="Y,X for the trace (default: the converged pixel with the "
                   "largest amplitude SNR)")
    a.add_argument("--spi", help="output of 'xpulse spi reconstruct'")
    a.add_argument("--spi-score", help="the --out of 'xpulse spi score' (with --spi)")
    a.add_argument("--ptycho", help="output of 'xpulse ptycho reconstruct'")
    a.add_argument("--format", choices=("png", "pdf"), default="png")
    a.add_argument("--out-dir", required=True)
    return p


def best_pixel(fit_path):
    """The converged pixel with the largest amplitude / stderr(amplitude): a good example trace."""
    with _open(fit_path) as f:
        status = _dataset(f, "/fit/status")[()]
        snr = _dataset(f, "/fit/amplitude")[()] / _dataset(f, "/fit/stderr/amplitude")[()]
    snr = np.where((status == 0) & np.isfinite(snr), snr, -np.inf)
    if not np.isfinite(snr.max()):
        raise PlotError(f"'{fit_path}' has no converged pixel to draw")
    y, x = np.unravel_index(np.argmax(snr), snr.shape)
    return int(y), int(x)


def _all(args):
    if not os.path.isdir(args.out_dir):
        raise PlotError(f"--out-dir '{args.out_dir}' is not a directory")
    written = []
    name = lambda stem: os.path.join(args.out_dir, f"{stem}.{args.format}")  # noqa: E731
    if args.fit:
        written.append(fit_maps(args.fit, name("fit_maps")))
        if args.data:
            written.append(trace(args.data, args.fit, args.pixel or best_pixel(args.fit), name("trace")))
    if args.dispersion:
        written.append(dispersion(args.dispersion, name("dispersion"), spectra=args.spectra))
    if args.spectra:
        written.append(spectra(args.spectra, name("spectra")))
    if args.spi:
        written.append(spi(args.spi, name("spi"), score=args.spi_score))
    if args.ptycho:
        written.append(ptycho(args.ptycho, name("ptycho")))
    if not written:
        raise PlotError("nothing to draw: give --fit, --dispersion, --spectra, --spi and/or --ptycho")
    return written


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.figure == "maps":
            written = [fit_maps(args.fit, args.out)]
        elif args.figure == "dispersion":
            written = [dispersion(args.dispersion, args.out, spectra=args.spectra)]
        elif args.figure == "spectra":
            written = [spectra(args.spectra, args.out)]
        elif args.figure == "trace":
            written = [trace(args.data, args.fit, args.pixel, args.out)]
        elif args.figure == "spi":
            written = [spi(args.reconstruction, args.out, score=args.score)]
        elif args.figure == "ptycho":
            written = [ptycho(args.reconstruction, args.out)]
        elif args.figure == "weather":
            written = [weather(args.db, args.run, args.out, units_json=args.units)]
        elif args.figure == "assembled":
            written = [assembled(args.images, args.out, frame=args.frame, log=args.log)]
        elif args.figure == "sfx-stats":
            written = [sfx_stats(args.statistics, args.out)]
        elif args.figure == "sfx":
            written = [sfx(args.frames, args.peaks, args.out, frame=args.frame) if args.peaks else
                       sfx_indexed(args.frames, args.reflections, args.out, frame=args.frame)]
        else:
            written = _all(args)
    except (PlotError, KeyError, OSError) as e:
        print(f"xpulse-plot: error: {e}", file=sys.stderr)
        return 2
    for w in written:
        print(f"xpulse-plot: wrote {w}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
