"""`xpulse sfx process` on simulated stills, scored against the simulator's truth: indexing rate, misorientation,
refined cells, both lattices of two-crystal frames, integrated intensities and their sigmas; the CrystFEL stream
read back; bad input."""
import os
import subprocess

import h5py
import numpy as np
import pytest

import sfx_truth

PDB = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")
CELL_2CEX = [131.448, 88.701, 115.912, 90, 105.33, 90]
CELL_P212121 = [61.0, 74.0, 89.0, 90, 90, 90]


def check(score, two_lattice):
    m = score["misorientation_deg"]
    assert score["single_hits"] >= 10
    assert score["single_indexed"] >= 0.95 * score["single_hits"], score
    assert score["blank_indexed"] == 0, score
    assert np.median(m) < 0.05 and np.percentile(m, 90) < 0.1, (np.median(m), np.percentile(m, 90), m.max())
    assert score["cell_error"].max() <= 0.005, np.sort(score["cell_error"])[-5:]
    if two_lattice:
        assert score["two_lattice_frames"] >= 4
        assert score["both_found"] >= 0.9 * score["two_lattice_frames"], score
    t, i, s = score["true"], score["intensity"], score["sigma"]
    strong = t > 20
    assert strong.sum() >= 100
    assert np.corrcoef(t[strong], i[strong])[0, 1] >= 0.95
    z = np.std((i - t) / s)
    assert 0.8 <= z <= 1.25, z


@pytest.fixture(scope="module")
def monoclinic(tmp_path_factory, xpulse):
    """2CEX's C 1 2 1 crystal, 512x512 pixels at 8 cm (4 A at the corner, ~80 peaks a lattice as in the DIALS
    comparison); 40% of the hits with two crystals."""
    folder = tmp_path_factory.mktemp("sfx_process")
    cxi = folder / "stills.cxi"
    xpulse("simulate", "sfx", "--pdb", PDB, "--out", cxi, "--frames", 60, "--pixels", "512x512", "--distance",
           0.08, "--hit-fraction", 0.7, "--second-lattice-fraction", 0.4, "--seed", 11, "--threads", 2)
    out, stream = folder / "reflections.h5", folder / "reflections.stream"
    cell = ",".join(map(str, CELL_2CEX))
    printed = xpulse("sfx", "process", cxi, "--cell", cell, "--centering", "C", "--multi", 2, "--out", out,
                     "--stream", stream, "--threads", 2)
    return cxi, out, stream, printed


def test_monoclinic_c_with_two_crystal_frames(monoclinic):
    cxi, out, _, printed = monoclinic
    check(sfx_truth.score(cxi, out, CELL_2CEX), two_lattice=True)
    assert "indexed" in printed and "reflections" in printed


def test_orthorhombic_p_with_the_defaults(tmp_path, xpulse):
    """A made-up P 21 21 21 crystal on 512x512 pixels at 6 cm (3.1 A at the corner); process's defaults."""
    pdb = sfx_truth.write_pdb(tmp_path / "p212121.pdb", CELL_P212121, "P 21 21 21")
    cxi, out = tmp_path / "stills.cxi", tmp_path / "reflections.h5"
    xpulse("simulate", "sfx", "--pdb", pdb, "--out", cxi, "--frames", 30, "--pixels", "512x512", "--distance", 0.06,
           "--hit-fraction", 0.7, "--seed", 5, "--threads", 2)
    xpulse("sfx", "process", cxi, "--cell", ",".join(map(str, CELL_P212121)), "--out", out, "--threads", 2)
    check(sfx_truth.score(cxi, out, CELL_P212121), two_lattice=False)


def test_same_results_for_any_thread_count(monoclinic, xpulse, tmp_path):
    cxi, out, _, _ = monoclinic
    one = tmp_path / "one.h5"
    xpulse("sfx", "process", cxi, "--cell", ",".join(map(str, CELL_2CEX)), "--centering", "C", "--multi", 2, "--out",
           one, "--threads", 1)
    with h5py.File(out, "r") as a, h5py.File(one, "r") as b:
        for name in ("/indexing/ub", "/indexing/cell", "/reflections/hkl", "/reflections/intensity",
                     "/reflections/sigma"):
            np.testing.assert_array_equal(a[name][()], b[name][()])


def parse_stream(path):
    """A minimal reader of CrystFEL stream chunks: per crystal its cell, reciprocal basis and reflections."""
    crystals, crystal, frame, in_reflections = [], None, None, False
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("Event: //"):
            frame = int(line[len("Event: //"):])
        elif line == "--- Begin crystal":
            crystal = {"frame": frame, "reflections": []}
        elif crystal is not None and line.startswith("Cell parameters"):
            p = line.split()
            crystal["cell"] = [float(p[2]) * 10, float(p[3]) * 10, float(p[4]) * 10, float(p[6]), float(p[7]),
                               float(p[8])]
        elif crystal is not None and line.split(" = ")[0] in ("astar", "bstar", "cstar"):
            crystal[line.split(" = ")[0]] = [float(v) / 10 for v in line.split(" = ")[1].split()[:3]]
        elif line.startswith("   h    k    l"):
            in_reflections = True
        elif line == "End of reflections":
            in_reflections = False
        elif in_reflections:
            p = line.split()
            crystal["reflections"].append([int(p[0]), int(p[1]), int(p[2]), float(p[3]), float(p[4])])
        elif line == "--- End crystal":
            crystals.append(crystal)
            crystal = None
    return crystals


def test_stream_agrees_with_the_hdf5_output(monoclinic):
    _, out, stream, _ = monoclinic
    head = open(stream).read(2000)
    assert head.startswith("CrystFEL stream format 2.3\n")
    assert "----- Begin geometry file -----" in head and "centering = C" in head
    crystals = parse_stream(stream)
    with h5py.File(out, "r") as f:
        frames, cells, ub = f["/indexing/frame"][()], f["/indexing/cell"][()], f["/indexing/ub"][()]
        hkl, intensity = f["/reflections/hkl"][()], f["/reflections/intensity"][()]
        rframe, rlattice = f["/reflections/frame"][()], f["/reflections/lattice"][()]
        lattice = f["/indexing/lattice"][()]
    assert len(crystals) == len(frames) > 0
    for i, c in enumerate(crystals):
        assert c["frame"] == frames[i]
        np.testing.assert_allclose(c["cell"], cells[i], atol=2e-4)
        np.testing.assert_allclose(np.array([c["astar"], c["bstar"], c["cstar"]]).T, ub[i], atol=2e-8)
        rows = (rframe == frames[i]) & (rlattice == lattice[i])
        mine = np.array(c["reflections"])
        np.testing.assert_array_equal(mine[:, :3].astype(int), hkl[rows])
        np.testing.assert_allclose(mine[:, 3], intensity[rows], atol=0.006)


def run_bad(*args, cwd):
    binary = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
    binary = os.path.abspath(binary) if os.path.exists(binary) else binary
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("options, message", [
    (["--cell", "131,88,x,90,105,90"], "xpulse: error: --cell '131,88,x,90,105,90': 'x' is not a number"),
    (["--cell", "131,88,115,90,105"], "xpulse: error: --cell '131,88,115,90,105' has 5 values"),
    (["--cell", "40,40,40,90,90,90", "--centering", "C"],
     "xpulse: error: --centering C is impossible for the cubic cell 40,40,40,90,90,90"),
    (["--cell", "131.448,88.701,115.912,90,105.33,90", "--centering", "Q"],
     "xpulse: error: --centering must be one of P, A, B, C, I, F, R; got 'Q'"),
    (["--cell", "131.448,88.701,115.912,90,105.33,90", "--int-radius", "4,3,7"],
     "xpulse: error: --int-radius must be r1,r2,r3 with 0 < r1 <= r2 < r3 <= 64 pixels"),
    (["--cell", "131.448,88.701,115.912,90,105.33,90", "--partiality", "gauss"],
     "xpulse: error: --partiality must be xsphere, offset or unity; got 'gauss'"),
    (["--cell", "131.448,88.701,115.912,90,105.33,90", "--device", "gpu"],
     "xpulse: error: --device 'gpu' is not known; use cpu, cuda or auto"),
])
def test_bad_options(monoclinic, tmp_path, options, message):
    cxi = monoclinic[0]
    r = run_bad("sfx", "process", cxi, "--out", tmp_path / "r.h5", *options, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), r.stderr
    assert os.listdir(tmp_path) == []


def test_device_cuda_gives_the_cpus_lattices_or_says_why_it_cannot(monoclinic, tmp_path, xpulse):
    """On a machine with a GPU the CUDA path must find the CPU's lattices (the peak lists are the CPU's bits; step 1
    of the indexing may differ in the last bit of a score); without one, --device cuda is refused in one line."""
    cxi, out, _, _ = monoclinic
    gpu = tmp_path / "gpu.h5"
    r = run_bad("sfx", "process", cxi, "--cell", ",".join(map(str, CELL_2CEX)), "--centering", "C", "--multi", 2,
                "--out", gpu, "--device", "cuda", cwd=tmp_path)
    if r.returncode != 0:
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("xpulse: error: --device cuda: no CUDA device can be used")
        assert os.listdir(tmp_path) == []
        return
    with h5py.File(out, "r") as a, h5py.File(gpu, "r") as b:
        np.testing.assert_array_equal(a["/peaks/x"][()], b["/peaks/x"][()])
        np.testing.assert_array_equal(a["/indexing/frame"][()], b["/indexing/frame"][()])
        np.testing.assert_allclose(a["/indexing/ub"][()], b["/indexing/ub"][()], atol=1e-6)


def test_missing_cell_and_missing_geometry(tmp_path):
    frames = tmp_path / "bare.cxi"
    with h5py.File(frames, "w") as f:
        f["/entry_1/data_1/data"] = np.zeros((2, 64, 64), dtype=np.float32)
    r = run_bad("sfx", "process", frames, "--out", tmp_path / "r.h5", cwd=tmp_path)
    assert r.returncode == 2 and "--cell" in r.stderr
    r = run_bad("sfx", "process", frames, "--out", tmp_path / "r.h5", "--cell", "50,60,70,90,90,90", cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xpulse: error: ") and "distance" in lines[0], r.stderr
    assert sorted(os.listdir(tmp_path)) == ["bare.cxi"]


def test_a_cell_that_indexes_nothing_is_reported_not_an_error(monoclinic, tmp_path, xpulse):
    out = tmp_path / "r.h5"
    printed = xpulse("sfx", "process", monoclinic[0], "--cell", "50,60,70,90,90,90", "--out", out, "--threads", 2)
    assert " 0 indexed" in printed and "no frame indexed with the cell 50,60,70,90,90,90" in printed
    with h5py.File(out, "r") as f:
        assert f["/indexing/ub"].shape == (0, 3, 3) and f["/reflections/hkl"].shape == (0, 3)


def test_the_readmes_example(tmp_path, xpulse):
    """README: `xpulse simulate sfx --pdb tests/data/2cex.pdb --out stills.cxi && xpulse sfx process stills.cxi
    --cell 131.448,88.701,115.912,90,105.33,90 --centering C --out reflections.h5`, on 40 of its 100 frames."""
    cxi, out = tmp_path / "stills.cxi", tmp_path / "reflections.h5"
    xpulse("simulate", "sfx", "--pdb", PDB, "--out", cxi, "--frames", 40)
    xpulse("sfx", "process", cxi, "--cell", ",".join(map(str, CELL_2CEX)), "--centering", "C", "--out", out)
    score = sfx_truth.score(cxi, out, CELL_2CEX)
    m = score["misorientation_deg"]
    assert score["single_indexed"] == score["single_hits"] >= 8 and score["blank_indexed"] == 0, score
    assert np.median(m) < 0.02 and m.max() < 0.05, m
    assert score["cell_error"].max() <= 0.002
    t, i, s = score["true"], score["intensity"], score["sigma"]
    assert np.corrcoef(t[t > 20], i[t > 20])[0, 1] >= 0.99 and 0.8 <= np.std((i - t) / s) <= 1.25


def test_python_gives_the_command_lines_bits(monoclinic):
    """find_peaks, index_peaks and integrate on the frames give the command line's lattices and intensities."""
    import xpulse as xp
    cxi, out, _, _ = monoclinic
    with h5py.File(cxi, "r") as f:
        frames = f["/entry_1/data_1/data"][()]
        mask = f["/entry_1/instrument_1/detector_1/mask"][()]
        gain = f["/entry_1/instrument_1/detector_1/adu_per_photon"][()]
    detector, _ = xp.load_geometry(str(cxi), None, shape=frames.shape[1:])
    with h5py.File(out, "r") as f:
        l_frame, ub, cells = f["/indexing/frame"][()], f["/indexing/ub"][()], f["/indexing/cell"][()]
        r_frame, r_lattice = f["/reflections/frame"][()], f["/reflections/lattice"][()]
        rx, ry, ri, rs = (f["/reflections/" + k][()] for k in ("x", "y", "intensity", "sigma"))
    checked = 0
    for frame in np.unique(l_frame)[:6]:
        peaks = xp.find_peaks(frames[frame], mask=mask, centre=(detector.beam_center_x, detector.beam_center_y),
                              threshold=5 * gain)[0]
        lattices = xp.index_peaks(np.stack([peaks["x"], peaks["y"]], axis=1), detector=detector, cell=CELL_2CEX,
                                  centering="C", multi=2)
        mine = np.flatnonzero(l_frame == frame)
        assert len(lattices) == len(mine)
        for k, lattice in zip(mine, lattices):
            np.testing.assert_array_equal(lattice["ub"], ub[k])
            np.testing.assert_array_equal(lattice["cell"], cells[k])
        rows = np.flatnonzero((r_frame == frame) & (r_lattice == 0))
        spots = xp.integrate(frames[frame], np.stack([rx[rows], ry[rows]], axis=1), mask=mask, adu_per_photon=gain)
        np.testing.assert_array_equal(spots["intensity"], ri[rows])
        np.testing.assert_array_equal(spots["sigma"], rs[rows])
        checked += 1
    assert checked == 6
    with pytest.raises(ValueError, match="peaks must be an array"):
        xp.index_peaks(np.zeros(3), detector=detector, cell=CELL_2CEX)
    with pytest.raises(ValueError, match="--centering C is impossible for the cubic cell"):
        xp.index_peaks(np.zeros((3, 2)), detector=detector, cell=[40, 40, 40, 90, 90, 90], centering="C")
    with pytest.raises(ValueError, match="--int-radius must be"):
        xp.integrate(frames[0], np.zeros((1, 2)), int_radius=(4, 3, 7))
