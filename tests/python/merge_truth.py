"""Scores a merged dataset of `xpulse sfx merge` against the |F|^2 truth `xpulse simulate sfx` writes: the truth's
reflections are mapped to the asymmetric unit by gemmi (not by xpulse), and the merged intensities compared with
them by correlation and, after a least-squares scale, by the spread of (I - k I_true) / sigma."""
import gemmi
import h5py
import numpy as np


def truth_in_asu(cxi, space_group):
    with h5py.File(cxi, "r") as f:
        hkl, intensity = f["/truth/reflections/hkl"][()], f["/truth/reflections/intensity"][()]
    sg = gemmi.find_spacegroup_by_name(space_group)
    asu, ops = gemmi.ReciprocalAsu(sg), sg.operations()
    table = {}
    for h, i in zip(hkl, intensity):
        rep = tuple(asu.to_asu(list(map(int, h)), ops)[0])
        table.setdefault(rep, i)
    return table


def score(cxi, merged_h5, space_group, min_multiplicity=1):
    table = truth_in_asu(cxi, space_group)
    with h5py.File(merged_h5, "r") as f:
        hkl, intensity = f["/merged/hkl"][()], f["/merged/intensity"][()]
        sigma, mult = f["/merged/sigma"][()], f["/merged/multiplicity"][()]
    keep = mult >= min_multiplicity
    truth = np.array([table.get(tuple(map(int, h)), np.nan) for h in hkl[keep]])
    i, s = intensity[keep], sigma[keep]
    found = np.isfinite(truth)
    truth, i, s = truth[found], i[found], s[found]
    k = np.sum(i * truth) / np.sum(truth * truth)
    z = (i - k * truth) / s
    return {"cc": float(np.corrcoef(i, truth)[0, 1]), "z_std": float(np.std(z)), "n": int(len(i)),
            "unmatched": int(np.sum(~found))}
