"""xpulse: fast analysis of XFEL and synchrotron imaging data.

Compiled functions (numpy in, numpy out, the GIL released while they compute):

    fit_damped_cosine(data, delays, t0=0, mask=None, ...)  per-trace damped-cosine fits, as `xpulse fit`

Pure-Python parts: ``xpulse.plot`` draws figures from xpulse output files (importing the package does not import
matplotlib). Errors in input raise ValueError (OSError for files) with the command line's messages.
"""

try:
    from ._xpulse import FIT_STATUS_CODES, __version__, fit_damped_cosine
except ImportError as _error:  # the compiled module is built by CMake (scripts/build.sh) into this folder
    _missing = _error

    def __getattr__(name):
        if name in ("fit_damped_cosine", "FIT_STATUS_CODES", "__version__"):
            raise ImportError(f"xpulse.{name} needs the compiled module, which is not built: run "
                              f"scripts/build.sh ({_missing})")
        raise AttributeError(name)

__all__ = ["fit_damped_cosine", "FIT_STATUS_CODES", "plot"]
