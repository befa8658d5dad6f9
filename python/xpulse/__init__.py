"""xpulse: fast analysis of XFEL and synchrotron imaging data.

Compiled functions (numpy in, numpy out, the GIL released while they compute; see help() of each):

    simulate_pump_probe(shape=..., ...)           a pump-probe stack with known truth, as `xpulse simulate`
    fit_damped_cosine(data, delays, t0=0, ...)    per-trace damped-cosine fits, as `xpulse fit`
    dispersion(fit, detector, crystal, ...)       phonon dispersion from fit results, as `xpulse dispersion`
    reduce(data_or_path, ops, ...)                per-pixel sum/mean/max/min/std over frames, as `xpulse reduce`
    correct_jungfrau(raw, pedestal, gain, ...)    JUNGFRAU raw words to keV or photons, as `xpulse correct jungfrau`
    read(path, dataset, selection)                a hyperslab through the parallel HDF5 reader
    Detector, Crystal                             geometry: per-pixel q, 2theta, polarisation, solid angle; hkl
    load_geometry(hdf5, toml, shape=...)          the geometry of a file, as the command line reads it
    momentum_maps(detector, crystal, path=...)    per-pixel q, hkl, |q - G| and path coordinate
    NufftPlan(type, modes, eps, ...)              non-uniform FFT plans (types 1 and 2, 1-3D, float32/64)
    simulate_spi(pdb, images=..., ...)            SPI patterns of a PDB structure, as `xpulse simulate spi`
    spi_reconstruct(images, q, polarization, ...) M-TIP 3D reconstruction, as `xpulse spi reconstruct`
    spi_score(density, voxel_size, truth, ...)    CC and FSC after superposition, as `xpulse spi score`
    simulate_ptycho(object_size=..., ...)         a ptychographic scan with truth, as `xpulse simulate ptycho`
    ptycho_reconstruct(intensities, positions, ...) ePIE, DM, ML-CG, as `xpulse ptycho reconstruct`
    ptycho_score(object, truth, ...)              object error and phase SSIM, as `xpulse ptycho score`
    simulate_sfx(pdb, frames=..., ...)            crystallography stills with truth, as `xpulse simulate sfx`
    find_peaks(frames, mask=..., ...)             peakfinder8 per frame, as `xpulse sfx peaks`
    index_peaks(peaks, detector=..., cell=...)    known-cell indexing and refinement, as `xpulse sfx process`
    integrate(frame, positions, ...)              ring integration of spots, as `xpulse sfx process`
    merge(hkl, intensity, sigma, crystal, d, ...) scaling, merging and statistics, as `xpulse sfx merge`

Pure-Python parts: ``xpulse.plot`` draws figures from xpulse output files (importing the package does not import
matplotlib). Errors in input raise ValueError (OSError for files) with the command line's messages.
"""

_COMPILED = ("simulate_pump_probe", "fit_damped_cosine", "FIT_STATUS_CODES", "dispersion", "reduce", "read",
             "correct_jungfrau",
             "Detector", "Crystal", "load_geometry", "momentum_maps", "NufftPlan", "simulate_spi", "spi_reconstruct",
             "spi_score", "simulate_ptycho", "ptycho_reconstruct", "ptycho_score",
             "simulate_sfx", "find_peaks", "index_peaks", "integrate", "merge")

try:
    from ._xpulse import (FIT_STATUS_CODES, Crystal, Detector, NufftPlan, __version__, correct_jungfrau, dispersion,
                          fit_damped_cosine, load_geometry, momentum_maps, read, reduce, simulate_pump_probe,
                          simulate_spi, spi_reconstruct, spi_score, simulate_ptycho, ptycho_reconstruct,
                          ptycho_score, simulate_sfx, find_peaks, index_peaks, integrate, merge)
except ImportError as _error:  # the compiled module is built by CMake (scripts/build.sh) into this folder
    _missing = _error

    def __getattr__(name):
        if name in _COMPILED or name == "__version__":
            raise ImportError(f"xpulse.{name} needs the compiled module, which is not built: run "
                              f"scripts/build.sh ({_missing})")
        raise AttributeError(name)

__all__ = list(_COMPILED) + ["plot"]
