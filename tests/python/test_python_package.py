"""The xpulse package as a whole: every compiled function documents itself with units, and the example runs."""
import os
import pathlib
import re
import subprocess
import sys

import pytest

import xpulse as xp

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "pump_probe.py"


@pytest.mark.parametrize("name, words", [
    ("simulate_pump_probe", ["delays [n_delay] (ps)", "photons", "bit", "truth"]),
    ("fit_damped_cosine", ["frequency [THz]", "damping [1/ps]", "ValueError"]),
    ("dispersion", ["1/Angstrom", "THz", "Birge", "bit-identical"]),
    ("reduce", ["float64", "ddof = 0", "frame_sum", "bit-identical"]),
    ("read", ["numpy.s_", "stored dtype", "threads"]),
    ("momentum_maps", ["1/Angstrom", "sr", "path"]),
    ("load_geometry", ["TOML", "Detector"]),
    ("Detector", ["distance [m]", "energy [eV]", "beam_center (y, x) [pixel]"]),
    ("Crystal", ["Angstrom", "degree", "UB"]),
])
def test_every_function_is_documented_with_units(name, words):
    doc = getattr(xp, name).__doc__
    for w in words:
        assert w in doc, (name, w)
    assert name in xp.__all__
    assert name in xp.__doc__


def test_the_example_simulates_fits_and_plots(tmp_path):
    figure = tmp_path / "pump_probe.png"
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, EXAMPLE, figure], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    converged = float(re.match(r"([\d.]+)% of pixels converged", r.stdout).group(1))
    assert converged > 50
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.stat().st_size > 50_000
    code_lines = [line for line in EXAMPLE.read_text().splitlines() if line.strip() and not line.startswith(('"', " "))]
    assert len(code_lines) <= 25
