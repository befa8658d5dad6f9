"""xpulse: fast analysis of XFEL and synchrotron imaging data.

Pure-Python parts live here (``xpulse.plot`` draws figures from xpulse output files); importing the package does
not import matplotlib.
"""

__all__ = ["plot"]
