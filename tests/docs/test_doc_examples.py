"""Every runnable example of the README and docs/ runs with its defaults and gives the right answer: each is scored
against the truth of the simulation it starts from."""
import os
import re
import subprocess
import sys

import gemmi
import h5py
import numpy as np
import pytest

import doc_examples

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "python"))
import merge_truth  # noqa: E402

BINARY = os.environ["XPULSE_BIN"]


def check_pump_probe(folder, out):
    with h5py.File(folder / "stack.h5") as s, h5py.File(folder / "maps.h5") as m:
        truth, amplitude = s["/truth/frequency"][()], s["/truth/amplitude"][()]
        masked = s["/entry_1/data_1/mask"][()] != 0
        fitted, status = m["/fit/frequency"][()], m["/fit/status"][()]
    # Every pixel with a strong oscillation converges, and the converged ones have the true frequency.
    strong = (amplitude >= np.median(amplitude[amplitude > 0])) & ~masked
    assert (status[strong] == 0).mean() >= 0.99
    error = (np.abs(fitted - truth) / truth)[status == 0]
    assert np.median(error) < 0.005 and np.percentile(error, 95) < 0.02
    with h5py.File(folder / "dispersion.h5") as d:
        f, t, n = (d[f"/dispersion/{k}"][()] for k in ("frequency", "truth_frequency", "count"))
    used = n > 0
    assert used.sum() >= 30 and np.max(np.abs(f - t)[used] / t[used]) < 0.02
    assert (folder / "dispersion.png").stat().st_size > 10_000


def check_spi(folder, out):
    with h5py.File(folder / "score.h5") as s:
        cc, resolution, edge = s["/score/cc"][()], s["/score/resolution"][()], s["/score/edge_resolution"][()]
    assert cc >= 0.8 and resolution <= 1.5 * edge, (cc, resolution, edge)
    assert (folder / "spi.png").exists()


def check_ptycho(folder, out):
    with h5py.File(folder / "score.h5") as s:
        error, ssim = s["/score/error"][()], s["/score/phase_ssim"][()]
    assert error <= 0.05 and ssim >= 0.8, (error, ssim)
    assert (folder / "ptycho.png").exists()


def check_sfx(folder, out):
    mtz = gemmi.read_mtz_file(str(folder / "merged.mtz"))
    assert mtz.spacegroup.hm == "C 1 2 1" and mtz.nreflections >= 500
    # The same merge as HDF5, scored against the simulator's intensities.
    subprocess.run([BINARY, "sfx", "merge", folder / "reflections.h5", "--point-group", "2", "--out",
                    folder / "merged.h5"], check=True, capture_output=True)
    score = merge_truth.score(folder / "stills.cxi", folder / "merged.h5", "C 1 2 1")
    assert score["cc"] >= 0.95 and 0.8 <= score["z_std"] <= 1.25, score
    assert (folder / "merge.png").exists()


def check_python(folder, out):
    # The simulation masks about 5% of the pixels and leaves about 10% without an oscillation.
    converged, total, error = re.search(r"(\d+) of (\d+) pixels converged, median relative frequency error (\S+)",
                                        out).groups()
    assert int(converged) >= 0.75 * int(total) and float(error) < 0.005, out


CHECKS = {"pump-probe": check_pump_probe, "spi": check_spi, "ptycho": check_ptycho, "sfx": check_sfx,
          "python": check_python}


def test_every_runnable_example_has_a_check():
    assert sorted(doc_examples.examples()) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_example(name, tmp_path):
    out = doc_examples.run(name, tmp_path / name, BINARY)
    CHECKS[name](tmp_path / name, out)
