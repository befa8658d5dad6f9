"""Deterministic corruption suite: seeded byte flips, zeroed blocks and truncations of small inputs in several
layouts and filters, run through fit, reduce, sfx peaks, sfx process, sfx merge, spi reconstruct and ptycho
reconstruct.
Every run must end by itself (no hang) with exit 0, or exit 2 and one line `xpulse: error: ...`; no signal death,
no internal error, and nothing left under the output's name (nor anywhere else in the run's folder) after a
failure."""
import os
import random
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import h5py
import hdf5plugin
import numpy as np
import pytest

BIN = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
PDB = Path(__file__).resolve().parents[1] / "data" / "2cex.pdb"
DATA = "/entry_1/data_1/data"
TIMEOUT_S = 60

STACK_LAYOUTS = {
    "contiguous": {},
    "chunked": dict(chunks=(1, 16, 16)),
    "deflate_shuffle": dict(chunks=(4, 8, 16), compression="gzip", shuffle=True),
    "lz4": dict(chunks=(2, 16, 16), **hdf5plugin.LZ4()),
    "blosc_zstd": dict(chunks=(2, 16, 16), **hdf5plugin.Blosc(cname="zstd")),
    "bitshuffle_lz4": dict(chunks=(2, 16, 16), **hdf5plugin.Bitshuffle()),
    "fletcher32": dict(chunks=(4, 8, 8), fletcher32=True),
    "earray_axis1": dict(chunks=(4, 8, 8), maxshape=(None, None, 16), compression="gzip"),
}


def run(args, cwd):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, cwd=cwd, timeout=TIMEOUT_S)


def relayout(src, dst, dataset, libver="latest", **kwargs):
    """A copy of src with `dataset` rewritten in the given layout (other objects as they were)."""
    with h5py.File(src, "r") as fin, h5py.File(dst, "w", libver=libver) as fout:
        for name, value in fin.attrs.items():
            fout.attrs[name] = value
        for key in fin:
            fin.copy(fin[key], fout, name=key)
        data = fin[dataset][()]
        attrs = dict(fin[dataset].attrs)
        del fout[dataset]
        d = fout.create_dataset(dataset, data=data, **kwargs)
        for name, value in attrs.items():
            d.attrs[name] = value
    return dst


def corruptions(raw, seed, count):
    """`count` seeded variants of the bytes `raw`: flips anywhere, flips in the metadata-dense head and tail,
    zeroed blocks, truncations."""
    rng = random.Random(seed)
    n = len(raw)
    for k in range(count):
        b = bytearray(raw)
        kind = k % 4
        if kind == 0:
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(n)] = rng.randrange(256)
        elif kind == 1:
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(min(n, 4096)) if rng.random() < 0.5 else n - 1 - rng.randrange(min(n, 4096))
                b[at] ^= 1 << rng.randrange(8)
        elif kind == 2:
            at, length = rng.randrange(n), rng.randint(8, 4096)
            b[at:at + length] = bytes(len(b[at:at + length]))
        else:
            b = b[:rng.randrange(1, n)]
        yield f"{['flip', 'head_tail_flip', 'zeroed', 'truncated'][kind]}{k}", bytes(b)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("corruption_inputs")

    def make(*args):
        r = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

    make("simulate", "pump-probe", "--out", d / "stack.h5", "--shape", "24x16x16", "--seed", 4)
    make("simulate", "sfx", "--pdb", PDB, "--out", d / "sfx.cxi", "--frames", 4, "--pixels", "96x96",
         "--hit-fraction", 0.5, "--seed", 6, "--threads", 2)
    # A reflection table with indexed crystals for sfx merge.
    make("simulate", "sfx", "--pdb", PDB, "--out", d / "merge.cxi", "--frames", 12, "--pixels", "256x256",
         "--distance", 0.05, "--hit-fraction", 1, "--seed", 6, "--threads", 2)
    make("sfx", "process", d / "merge.cxi", "--cell", "131.448,88.701,115.912,90,105.33,90", "--centering", "C",
         "--out", d / "table.h5", "--threads", 2)
    make("simulate", "spi", "--pdb", PDB, "--out", d / "spi.h5", "--images", 40, "--pixels", 16, "--grid", 11,
         "--photons", "1e15", "--seed", 5, "--threads", 2)
    make("simulate", "ptycho", "--out", d / "ptycho.cxi", "--object-size", 64, "--probe-size", 24, "--positions",
         16, "--seed", 3, "--threads", 2)
    stacks = {name: relayout(d / "stack.h5", d / f"stack_{name}.h5", DATA,
                             libver="earliest" if name == "contiguous" else "latest", **kwargs)
              for name, kwargs in STACK_LAYOUTS.items()}
    return {
        "fit": ([("fit", "{in}", "--out", "{out}", "--threads", 2)], stacks, 6),
        "reduce": ([("reduce", "{in}", "--out", "{out}", "--threads", 2)], stacks, 6),
        "sfx peaks": ([("sfx", "peaks", "{in}", "--out", "{out}", "--threshold", 100, "--threads", 2)],
                      {"default": d / "sfx.cxi",
                       "bitshuffle": relayout(d / "sfx.cxi", d / "sfx_bs.cxi", DATA, chunks=(1, 96, 96),
                                              **hdf5plugin.Bitshuffle())}, 16),
        "sfx process": ([("sfx", "process", "{in}", "--out", "{out}", "--cell", "131.448,88.701,115.912,90,105.33,90",
                          "--centering", "C", "--threads", 2)], {"default": d / "sfx.cxi"}, 24),
        "sfx merge": ([("sfx", "merge", "{in}", "--out", "{out}", "--point-group", "2", "--threads", 2)],
                      {"default": d / "table.h5"}, 24),
        "spi reconstruct": ([("spi", "reconstruct", "{in}", "--out", "{out}", "--grid", 11, "--generations", 1,
                              "--orientations", 100, "--threads", 2)],
                            {"default": d / "spi.h5",
                             "deflate": relayout(d / "spi.h5", d / "spi_gz.h5", DATA, chunks=(8, 16, 16),
                                                 compression="gzip")}, 12),
        "ptycho reconstruct": ([("ptycho", "reconstruct", "{in}", "--out", "{out}", "--iterations", 2, "--threads",
                                 2)], {"default": d / "ptycho.cxi"}, 24),
    }


# What a successful run leaves in its folder besides the input.
OUTPUTS = {"spi reconstruct": ["out.h5", "out.mrc"]}


def check_one(command, args, layout, name, blob, folder):
    """Runs one corrupted input in its own folder; returns a problem in words, or None."""
    folder.mkdir()
    src, out = folder / "input.h5", folder / "out.h5"
    src.write_bytes(blob)
    argv = [a.format(**{"in": src, "out": out}) if isinstance(a, str) else a for a in args]
    try:
        r = run(argv, folder)
    except subprocess.TimeoutExpired:
        return f"{command} {layout} {name}: no answer within {TIMEOUT_S} s"
    err = r.stderr.decode("utf-8", "replace")
    left = sorted(p.name for p in folder.iterdir() if p.name != "input.h5")
    where = f"{command} {layout} {name}"
    if r.returncode < 0:
        return f"{where}: killed by signal {-r.returncode}: {err[-300:]}"
    if r.returncode == 0:
        if left != OUTPUTS.get(command, ["out.h5"]):
            return f"{where}: exit 0 but the folder holds {left}"
    elif r.returncode == 2:
        if not err.startswith("xpulse: error: ") or err.count("\n") != 1:
            return f"{where}: exit 2 without one error line: {err[-300:]!r}"
        if left:
            return f"{where}: failed and left {left}"
    else:
        return f"{where}: exit {r.returncode}: {err[-300:]}"
    shutil.rmtree(folder)
    return None


@pytest.mark.parametrize("command", ["fit", "reduce", "sfx peaks", "sfx process", "sfx merge", "spi reconstruct",
                                     "ptycho reconstruct"])
def test_corrupt_inputs_end_cleanly(command, inputs, tmp_path):
    commands, files, per_file = inputs[command]
    jobs = []
    for layout, path in files.items():
        raw = Path(path).read_bytes()
        seed = sum(map(ord, command + layout))
        for name, blob in corruptions(raw, seed, per_file):
            for args in commands:
                jobs.append((command, args, layout, name, blob, tmp_path / f"{layout}_{name}"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        problems = [p for p in pool.map(lambda j: check_one(*j), jobs) if p]
    assert not problems, f"{len(problems)} of {len(jobs)} runs:\n" + "\n".join(problems)
    assert len(jobs) >= 24


def test_damaged_global_heap_is_one_error_line(inputs, tmp_path):
    """Flips in the global heap that holds the variable-length 'units' strings: libhdf5 1.10 crashes (SIGSEGV)
    on some of these when it reads the attribute itself; xpulse must end with one line either way."""
    raw = (Path(inputs["fit"][1]["contiguous"]).parent / "stack.h5").read_bytes()
    heap = raw.find(b"GCOL")
    assert heap > 0
    problems = []
    for seed in range(16):
        rng, b = random.Random(seed), bytearray(raw)
        for _ in range(3):
            at = heap + rng.randrange(4, 64)
            b[at] = rng.randrange(256)
        problem = check_one("fit", ("fit", "{in}", "--out", "{out}", "--threads", 2), "global_heap", f"flip{seed}",
                            bytes(b), tmp_path / f"heap{seed}")
        problems += [problem] if problem else []
    assert not problems, "\n".join(problems)
