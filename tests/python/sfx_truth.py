"""Scores `xpulse sfx process` output against the truth `xpulse simulate sfx` writes: indexing rate, misorientation
modulo the lattice's symmetry, refined cells, and integrated intensities against the true spot photons."""
import itertools

import h5py
import numpy as np


def b_matrix(cell):
    """Reciprocal basis (columns a*, b*, c*; 1/Angstrom) in xpulse's crystal frame (geometry/lattice.cpp)."""
    a, b, c = cell[:3]
    al, be, ga = np.radians(cell[3:])
    ca, cb, cg, sa, sb, sg = np.cos(al), np.cos(be), np.cos(ga), np.sin(al), np.sin(be), np.sin(ga)
    volume = a * b * c * np.sqrt(1 - ca * ca - cb * cb - cg * cg + 2 * ca * cb * cg)
    a_s, b_s, c_s = b * c * sa / volume, a * c * sb / volume, a * b * sg / volume
    cbs, cgs = (ca * cg - cb) / (sa * sg), (ca * cb - cg) / (sa * sb)
    sbs, sgs = np.sqrt(1 - cbs * cbs), np.sqrt(1 - cgs * cgs)
    return np.array([[a_s, b_s * cgs, c_s * cbs], [0, b_s * sgs, -c_s * sbs * ca], [0, 0, 1 / c]])


def rotation(q):
    w, x, y, z = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
                     [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
                     [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def lattice_symmetry(cell):
    """Proper integer operations (entries -1, 0, 1) that keep the metric of the cell."""
    b = b_matrix(cell)
    metric = b.T @ b
    ops = np.array(list(itertools.product((-1, 0, 1), repeat=9)), dtype=float).reshape(-1, 3, 3)
    ops = ops[np.isclose(np.linalg.det(ops), 1)]
    kept = np.einsum("nji,jk,nkl->nil", ops, metric, ops)
    return ops[np.all(np.abs(kept - metric) <= 1e-6 * np.abs(metric).max(), axis=(1, 2))]


def nearest_rotation(m):
    u, _, vt = np.linalg.svd(m)
    d = np.diag([1, 1, np.sign(np.linalg.det(u @ vt))])
    return u @ d @ vt


def misorientation_deg(ub, ub_truth, ops):
    best = 180.0
    for s in ops:
        r = nearest_rotation(ub @ np.linalg.inv(ub_truth @ s))
        best = min(best, np.degrees(np.arccos(np.clip((np.trace(r) - 1) / 2, -1, 1))))
    return best


def score(cxi, reflections, cell, min_true_spots=15, strong=20.0):
    """Per-lattice and per-reflection comparison of a process output with its simulation's truth."""
    out = {}
    with h5py.File(cxi, "r") as t, h5py.File(reflections, "r") as r:
        hit = t["/truth/hit"][...].astype(bool)
        lattices = t["/truth/lattices"][...] if "/truth/lattices" in t else hit.astype(np.uint8)
        q1, q2 = t["/truth/orientations"][...], t["/truth/second_orientations"][...]
        s_frame, s_photons = t["/truth/spots/frame"][...], t["/truth/spots/photons"][...]
        s_x, s_y = t["/truth/spots/x"][...], t["/truth/spots/y"][...]
        s_lattice = t["/truth/spots/lattice"][...]
        l_frame, ub, cells = r["/indexing/frame"][...], r["/indexing/ub"][...], r["/indexing/cell"][...]
        rf, rx, ry = r["/reflections/frame"][...], r["/reflections/x"][...], r["/reflections/y"][...]
        ri, rs = r["/reflections/intensity"][...], r["/reflections/sigma"][...]
        rflags = r["/reflections/flags"][...]
    b = b_matrix(np.asarray(cell, dtype=float))
    ops = lattice_symmetry(np.asarray(cell, dtype=float))
    strong_spots = np.bincount(s_frame[(s_photons >= strong) & (s_lattice == 0)], minlength=len(hit))
    single = hit & (lattices == 1) & (strong_spots >= min_true_spots)
    indexed_frames = np.zeros(len(hit), dtype=int)
    np.add.at(indexed_frames, l_frame, 1)
    out["single_hits"] = int(single.sum())
    out["single_indexed"] = int((single & (indexed_frames >= 1)).sum())
    out["blank_indexed"] = int((~hit & (indexed_frames >= 1)).sum())
    angles, found_both = [], 0
    for f in np.unique(l_frame):
        truths = [rotation(q1[f]) @ b] + ([rotation(q2[f]) @ b] if lattices[f] == 2 else [])
        mine = [ub[i] for i in np.flatnonzero(l_frame == f)]
        per = [min(misorientation_deg(m, tr, ops) for tr in truths) for m in mine]
        angles += per
        if lattices[f] == 2 and len(mine) >= 2:
            matched = [min(misorientation_deg(m, tr, ops) for m in mine) for tr in truths]
            found_both += all(a < 0.1 for a in matched)
    out["misorientation_deg"] = np.array(angles)
    out["two_lattice_frames"] = int((lattices == 2).sum())
    out["both_found"] = found_both
    out["cell_error"] = np.max(np.abs(cells[:, :3] / np.asarray(cell[:3]) - 1), axis=1) if len(cells) else np.zeros(0)
    # Reflections matched to true spots of the same frame within a pixel.
    true_i, mine_i, mine_s = [], [], []
    for f in np.unique(rf):
        sel = np.flatnonzero(s_frame == f)
        if sel.size == 0:
            continue
        for k in np.flatnonzero((rf == f) & (rflags == 0)):
            d2 = (s_x[sel] - rx[k]) ** 2 + (s_y[sel] - ry[k]) ** 2
            j = np.argmin(d2)
            if d2[j] < 1.0:
                # Spots within the disc of another true spot are not a clean comparison.
                close = np.sum(d2 < 64.0)
                if close == 1:
                    true_i.append(s_photons[sel[j]]), mine_i.append(ri[k]), mine_s.append(rs[k])
    out["true"], out["intensity"], out["sigma"] = np.array(true_i), np.array(mine_i), np.array(mine_s)
    return out


def write_pdb(path, cell, space_group, atoms=400, seed=3):
    """A made-up crystal: random C/N/O atoms in the asymmetric unit of the cell."""
    rng = np.random.default_rng(seed)
    lines = ["CRYST1{:9.3f}{:9.3f}{:9.3f}{:7.2f}{:7.2f}{:7.2f} {:<11s}   4".format(*cell, space_group)]
    for i in range(atoms):
        x, y, z = rng.uniform(0, 1, 3) * np.array(cell[:3]) * np.array([0.5, 0.5, 1.0])
        element = "CNO"[i % 3]
        lines.append("ATOM  {:5d}  {:<3s} ALA A{:4d}    {:8.3f}{:8.3f}{:8.3f}  1.00 20.00          {:>2s}".format(
            i + 1, element, i // 5 + 1, x, y, z, element))
    lines.append("END")
    path.write_text("\n".join(lines) + "\n")
    return path
