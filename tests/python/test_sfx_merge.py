"""`xpulse sfx merge` on simulated stills scored against the simulator's |F|^2 truth (mapped to the asymmetric unit
by gemmi); its statistics against an independent numpy implementation; the MTZ read back by gemmi; the CrystFEL
reflection lists; bad input."""
import os
import subprocess

import gemmi
import h5py
import numpy as np
import pytest

import merge_truth
import sfx_truth

CELL = [61.0, 74.0, 89.0, 90, 90, 90]


@pytest.fixture(scope="module")
def processed(tmp_path_factory, xpulse):
    """400 stills of a P 21 21 21 crystal, 512x512 at 6 cm (3.2 A at the corner), indexed and integrated."""
    folder = tmp_path_factory.mktemp("sfx_merge")
    pdb = sfx_truth.write_pdb(folder / "p212121.pdb", CELL, "P 21 21 21")
    cxi, table = folder / "stills.cxi", folder / "reflections.h5"
    xpulse("simulate", "sfx", "--pdb", pdb, "--out", cxi, "--frames", 400, "--pixels", "512x512", "--distance", 0.06,
           "--hit-fraction", 1, "--seed", 5, "--threads", 2)
    xpulse("sfx", "process", cxi, "--cell", ",".join(map(str, CELL)), "--out", table, "--threads", 2)
    merged = folder / "merged.h5"
    printed = xpulse("sfx", "merge", table, "--point-group", "222", "--out", merged)
    return folder, cxi, table, merged, printed


def test_merged_intensities_match_the_truth_with_honest_sigmas(processed):
    _, cxi, _, merged, printed = processed
    assert "overall" in printed and "CC1/2" in printed
    score = merge_truth.score(cxi, merged, "P 2 2 2", min_multiplicity=10)
    assert score["unmatched"] == 0 and score["n"] >= 200, score
    assert score["cc"] >= 0.95, score
    every = merge_truth.score(cxi, merged, "P 2 2 2")
    assert 0.8 <= every["z_std"] <= 1.25, every


def test_partiality_and_post_refinement_beat_plain_averaging(processed, xpulse):
    folder, cxi, table, merged, _ = processed
    plain = folder / "plain.h5"
    xpulse("sfx", "merge", table, "--point-group", "222", "--out", plain, "--model", "unity", "--iterations", 0,
           "--scale", "none")
    refined = merge_truth.score(cxi, merged, "P 2 2 2")["cc"]
    averaged = merge_truth.score(cxi, plain, "P 2 2 2")["cc"]
    assert refined > averaged + 0.02, (refined, averaged)


def numpy_statistics(merged, cell, group, shells):
    """CC1/2, CC*, Rsplit, completeness, multiplicity and <I/sigma> per shell, written from the definitions."""
    with h5py.File(merged, "r") as f:
        hkl, d = f["/merged/hkl"][()], f["/merged/d"][()]
        i, s, n = f["/merged/intensity"][()], f["/merged/sigma"][()], f["/merged/multiplicity"][()]
        h1, h2 = f["/merged/half1"][()], f["/merged/half2"][()]
        edges = np.append(f["/statistics/d_max"][()], f["/statistics/d_min"][()][-1])
    # Equal volumes in 1/d^3.
    lo, hi = edges[0] ** -3, edges[-1] ** -3
    np.testing.assert_allclose(edges ** -3, lo + (hi - lo) * np.arange(shells + 1) / shells, rtol=1e-9)
    # The possible reflections: every hkl within the resolution, gemmi's ASU representatives, absences dropped.
    uc, sg = gemmi.UnitCell(*cell), gemmi.find_spacegroup_by_name(group)
    asu, ops = gemmi.ReciprocalAsu(sg), sg.operations()
    top = [int(np.ceil(x / edges[-1])) for x in cell[:3]]
    possible = np.zeros(shells, int)
    for h in range(-top[0], top[0] + 1):
        for k in range(-top[1], top[1] + 1):
            for l in range(-top[2], top[2] + 1):
                if (h, k, l) == (0, 0, 0) or not asu.is_in([h, k, l]) or ops.is_systematically_absent([h, k, l]):
                    continue
                dd = uc.calculate_d([h, k, l])
                if edges[-1] <= dd <= edges[0]:
                    possible[min(np.searchsorted(-edges, -dd, side="right") - 1, shells - 1)] += 1
    shell = np.minimum(np.searchsorted(-edges, -d, side="right") - 1, shells - 1)
    rows = []
    for b in range(shells):
        m = shell == b
        pair = m & np.isfinite(h1) & np.isfinite(h2)
        cc = np.corrcoef(h1[pair], h2[pair])[0, 1]
        rows.append({"unique": m.sum(), "possible": possible[b], "completeness": m.sum() / possible[b],
                     "multiplicity": n[m].sum() / m.sum(), "mean_i_over_sigma": np.mean(i[m] / s[m]),
                     "cc_half": cc, "cc_star": np.sqrt(2 * cc / (1 + cc)),
                     "r_split": np.sum(np.abs(h1[pair] - h2[pair])) / (np.sqrt(2) * 0.5 * np.sum(np.abs(h1[pair] + h2[pair])))})
    return rows


def test_statistics_agree_with_numpy(processed):
    _, _, _, merged, _ = processed
    expected = numpy_statistics(merged, CELL, "P 2 2 2", 10)
    with h5py.File(merged, "r") as f:
        for name in ("unique", "possible", "completeness", "multiplicity", "mean_i_over_sigma", "cc_half", "cc_star",
                     "r_split"):
            np.testing.assert_allclose(f["/statistics/" + name][()], [row[name] for row in expected], rtol=1e-9,
                                       err_msg=name)


def test_mtz_reads_back_in_gemmi(processed, xpulse):
    folder, _, table, merged, _ = processed
    mtz_path = folder / "merged.mtz"
    xpulse("sfx", "merge", table, "--point-group", "P212121", "--out", mtz_path)
    mtz = gemmi.read_mtz_file(str(mtz_path))
    assert mtz.spacegroup.hm == "P 21 21 21"
    assert [c.label for c in mtz.columns] == ["H", "K", "L", "IMEAN", "SIGIMEAN", "N"]
    assert [c.type for c in mtz.columns] == ["H", "H", "H", "J", "Q", "I"]
    np.testing.assert_allclose(mtz.cell.parameters, CELL, rtol=1e-6)
    data = np.array(mtz, copy=False)
    with h5py.File(merged, "r") as f:
        hkl = f["/merged/hkl"][()]
    # The space group's screw absences leave out h00, 0k0, 00l with an odd index; the rest is the same set.
    odd_axial = ((hkl[:, 1] == 0) & (hkl[:, 2] == 0) & (hkl[:, 0] % 2 == 1)) | \
                ((hkl[:, 0] == 0) & (hkl[:, 2] == 0) & (hkl[:, 1] % 2 == 1)) | \
                ((hkl[:, 0] == 0) & (hkl[:, 1] == 0) & (hkl[:, 2] % 2 == 1))
    assert len(data) == np.sum(~odd_axial)
    assert np.all(data[:, 4] > 0) and np.all(data[:, 5] >= 2)
    assert os.path.exists(str(mtz_path) + ".stats.h5")


def test_crystfel_lists_and_halves(processed, xpulse):
    folder, _, table, merged, _ = processed
    hkl_path = folder / "merged.hkl"
    xpulse("sfx", "merge", table, "--point-group", "222", "--out", hkl_path)
    for suffix in ("", "1", "2"):
        lines = open(str(hkl_path) + suffix).read().splitlines()
        assert lines[0] == "CrystFEL reflection list version 2.0" and lines[1] == "Symmetry: 222"
        assert lines[2].split() == ["h", "k", "l", "I", "phase", "sigma(I)", "nmeas"]
        assert lines[-1] == "End of reflections"
    rows = np.array([line.split() for line in open(hkl_path).read().splitlines()[3:-1]])
    with h5py.File(merged, "r") as f:
        np.testing.assert_array_equal(rows[:, :3].astype(int), f["/merged/hkl"][()])
        np.testing.assert_allclose(rows[:, 3].astype(float), f["/merged/intensity"][()], atol=0.006)


def run_bad(*args, cwd):
    binary = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
    binary = os.path.abspath(binary) if os.path.exists(binary) else binary
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def assert_refused(r, message, folder, before):
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xpulse: error: " + message), r.stderr
    assert sorted(os.listdir(folder)) == before


def test_bad_input(processed, tmp_path, xpulse):
    folder, _, table, _, _ = processed
    before = []
    out = tmp_path / "m.h5"
    assert_refused(run_bad("sfx", "merge", table, "--point-group", "7/m", "--out", out, cwd=tmp_path),
                   "'7/m' is neither a point group", tmp_path, before)
    assert_refused(run_bad("sfx", "merge", table, "--point-group", "222", "--out", out, "--max-res", 20, "--min-res",
                           30, cwd=tmp_path), "no observation lies within --min-res and --max-res", tmp_path, before)
    assert_refused(run_bad("sfx", "merge", table, "--point-group", "222", "--out", tmp_path / "m.txt", cwd=tmp_path),
                   "--out", tmp_path, before)
    assert_refused(run_bad("sfx", "merge", table, "--point-group", "222", "--out", table, cwd=tmp_path),
                   f"--out '{table}' is one of the inputs", tmp_path, before)
    # Another cell.
    other = tmp_path / "other.h5"
    with h5py.File(table, "r") as src, h5py.File(other, "w") as dst:
        for name in ("indexing", "reflections", "entry_1"):
            src.copy(name, dst)
        dst["indexing"].attrs["cell"] = "61,80,89,90,90,90"
    before = ["other.h5"]
    assert_refused(run_bad("sfx", "merge", table, other, "--point-group", "222", "--out", out, cwd=tmp_path),
                   f"'{table}' was indexed with the cell", tmp_path, before)
    # An empty table: no lattice, no reflection.
    empty = tmp_path / "empty.h5"
    with h5py.File(table, "r") as src, h5py.File(empty, "w") as dst:
        src.copy("entry_1", dst)
        for group in ("indexing", "reflections"):
            for name, d in src[group].items():
                dst.create_dataset(f"{group}/{name}", shape=(0,) + d.shape[1:], dtype=d.dtype)
            for k, v in src[group].attrs.items():
                dst[group].attrs[k] = v
    before = ["empty.h5", "other.h5"]
    assert_refused(run_bad("sfx", "merge", empty, "--point-group", "222", "--out", out, cwd=tmp_path),
                   "the reflection tables hold no usable observation", tmp_path, before)
    assert_refused(run_bad("sfx", "merge", tmp_path / "missing.h5", "--point-group", "222", "--out", out,
                           cwd=tmp_path), "", tmp_path, before)


def test_python_merge_gives_the_command_lines_numbers(processed, xpulse):
    """xpulse.merge on the table's observations (unity model: the command line's post-refinement needs lattices)."""
    import xpulse as xp
    folder, _, table, _, _ = processed
    cli = folder / "unity.h5"
    xpulse("sfx", "merge", table, "--point-group", "222", "--out", cli, "--model", "unity")
    with h5py.File(table, "r") as f:
        frames, lattices, ub = f["/indexing/frame"][()], f["/indexing/lattice"][()], f["/indexing/ub"][()]
        energy = f["/entry_1/instrument_1/source_1/energy"][()]
        r = {name: f["/reflections/" + name][()] for name in ("frame", "lattice", "hkl", "intensity", "sigma", "d",
                                                              "flags")}
    row = {(a, b): i for i, (a, b) in enumerate(zip(frames, lattices))}
    crystal = np.array([row[(a, b)] for a, b in zip(r["frame"], r["lattice"])])
    keep = (r["flags"] == 0) & (r["sigma"] > 0)
    v = np.einsum("nij,nj->ni", ub[crystal], r["hkl"].astype(float))
    v[:, 2] += energy / 12398.419843320026
    polarization = 1 - v[:, 0] ** 2 / np.sum(v * v, axis=1)
    out = xp.merge(r["hkl"][keep], r["intensity"][keep], r["sigma"][keep], crystal[keep], r["d"][keep],
                   polarization=polarization[keep], point_group="222", cell=CELL)
    with h5py.File(cli, "r") as f:
        np.testing.assert_array_equal(out["hkl"], f["/merged/hkl"][()])
        np.testing.assert_allclose(out["intensity"], f["/merged/intensity"][()], rtol=1e-7)
        np.testing.assert_allclose(out["sigma"], f["/merged/sigma"][()], rtol=1e-7)
        np.testing.assert_allclose(out["statistics"]["cc_half"], f["/statistics/cc_half"][()], rtol=1e-7)
    assert 0 < out["statistics"]["overall"]["cc_half"] <= 1
    with pytest.raises(ValueError, match="'7/m' is neither a point group"):
        xp.merge(r["hkl"][:10], r["intensity"][:10], r["sigma"][:10], crystal[:10], r["d"][:10], point_group="7/m",
                 cell=CELL)


def test_the_readmes_example(tmp_path, xpulse):
    """README: simulate sfx with its defaults, process with the 2CEX cell, merge in point group 2 to an MTZ; the
    merge against the truth (the same merge written as HDF5 for the score)."""
    pdb = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")
    cxi, table = tmp_path / "stills.cxi", tmp_path / "reflections.h5"
    xpulse("simulate", "sfx", "--pdb", pdb, "--out", cxi)
    xpulse("sfx", "process", cxi, "--cell", "131.448,88.701,115.912,90,105.33,90", "--centering", "C", "--out", table)
    xpulse("sfx", "merge", table, "--point-group", "2", "--out", tmp_path / "merged.mtz")
    mtz = gemmi.read_mtz_file(str(tmp_path / "merged.mtz"))
    assert mtz.spacegroup.hm == "C 1 2 1" and mtz.nreflections >= 500
    xpulse("sfx", "merge", table, "--point-group", "2", "--out", tmp_path / "merged.h5")
    score = merge_truth.score(cxi, tmp_path / "merged.h5", "C 1 2 1")
    assert score["cc"] >= 0.95 and 0.8 <= score["z_std"] <= 1.25, score


def write_reference(path, cxi, space_group, cell, column_type="J"):
    """An MTZ of the simulator's truth (IMEAN, or its square root as FP with column_type F), written by gemmi."""
    table = merge_truth.truth_in_asu(cxi, space_group)
    mtz = gemmi.Mtz(with_base=True)
    mtz.spacegroup = gemmi.find_spacegroup_by_name(space_group)
    mtz.set_cell_for_all(gemmi.UnitCell(*cell))
    mtz.add_dataset("truth")
    mtz.add_column("IMEAN" if column_type == "J" else "FP", column_type)
    rows = [[*h, v if column_type == "J" else np.sqrt(v)] for h, v in table.items()]
    mtz.set_data(np.array(rows, dtype=np.float32))
    mtz.write_to_file(str(path))


def test_a_reference_scales_few_crystals_better(tmp_path, xpulse):
    """About 20 crystals of 2CEX merged against the truth as a reference (intensities, or amplitudes that are
    squared) beat the merge scaled against itself; a reference of another cell is refused."""
    pdb = os.path.join(os.path.dirname(__file__), os.pardir, "data", "2cex.pdb")
    cxi, table = tmp_path / "stills.cxi", tmp_path / "reflections.h5"
    xpulse("simulate", "sfx", "--pdb", pdb, "--out", cxi, "--frames", 40, "--pixels", "512x512", "--distance", 0.06,
           "--hit-fraction", 0.5, "--seed", 4, "--threads", 2)
    xpulse("sfx", "process", cxi, "--cell", "131.448,88.701,115.912,90,105.33,90", "--centering", "C", "--out", table,
           "--threads", 2)
    cell = [131.448, 88.701, 115.912, 90, 105.33, 90]
    write_reference(tmp_path / "truth.mtz", cxi, "C 1 2 1", cell)
    write_reference(tmp_path / "truth_f.mtz", cxi, "C 1 2 1", cell, column_type="F")
    scores = {}
    for name, extra in [("self", []), ("reference", ["--reference", tmp_path / "truth.mtz"]),
                        ("amplitudes", ["--reference", tmp_path / "truth_f.mtz"])]:
        out = tmp_path / f"{name}.h5"
        xpulse("sfx", "merge", table, "--point-group", "2", "--out", out, *extra)
        scores[name] = merge_truth.score(cxi, out, "C 1 2 1")
    assert scores["reference"]["cc"] >= scores["self"]["cc"], scores
    assert abs(scores["amplitudes"]["cc"] - scores["reference"]["cc"]) < 1e-3, scores
    write_reference(tmp_path / "other.mtz", cxi, "C 1 2 1", [120, 88.701, 115.912, 90, 105.33, 90])
    before = sorted(os.listdir(tmp_path))
    r = run_bad("sfx", "merge", table, "--point-group", "2", "--out", tmp_path / "x.h5", "--reference",
                tmp_path / "other.mtz", cwd=tmp_path)
    assert_refused(r, f"the reference '{tmp_path / 'other.mtz'}' has the cell 120,", tmp_path, before)
    r = run_bad("sfx", "merge", table, "--point-group", "2", "--out", tmp_path / "x.h5", "--reference",
                tmp_path / "missing.mtz", cwd=tmp_path)
    assert_refused(r, "cannot read the reference MTZ", tmp_path, before)
