"""Failure hygiene of the journaled commands (fit, reduce, spi reconstruct): every bad input, run twice in a row
with the same --out, fails both times with one line and exit 2 and leaves nothing under the output's name (no
output, no .partial, no journal); a good run with that --out then succeeds."""
import os
import shutil
import subprocess

import h5py
import numpy as np
import pytest

BIN = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
DATA = "/entry_1/data_1/data"
PDB = os.path.join(os.path.dirname(__file__), "..", "data", "2cex.pdb")


def run(*args, cwd=None):
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def left_behind(out):
    d, name = os.path.split(str(out))
    return sorted(f for f in os.listdir(d) if f.startswith(name))


def copy_with(src, dst, edit):
    shutil.copy(src, dst)
    with h5py.File(dst, "a") as f:
        edit(f)
    return dst


def rewrite_data(f, data, **kwargs):
    del f[DATA]
    f.create_dataset(DATA, data=data, **kwargs)


def truncate(src, dst):
    raw = open(src, "rb").read()
    open(dst, "wb").write(raw[: len(raw) * 2 // 3])
    return dst


def corrupt_chunk(src, dst, frame):
    """A deflate-compressed copy whose chunk of `frame` has its stored bytes overwritten."""
    copy_with(src, dst, lambda f: rewrite_data(f, f[DATA][()], chunks=(1,) + f[DATA].shape[1:], compression="gzip"))
    with h5py.File(dst, "r") as f:
        info = f[DATA].id.get_chunk_info_by_coord((frame,) + (0,) * (f[DATA].ndim - 1))
    with open(dst, "r+b") as raw:
        raw.seek(info.byte_offset + 2)
        raw.write(b"\xff" * max(1, info.size - 4))
    return dst


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("hygiene")
    stack, spi = d / "stack.h5", d / "spi.h5"
    assert run("simulate", "pump-probe", "--out", stack, "--shape", "30x12x12", "--seed", 3).returncode == 0
    r = run("simulate", "spi", "--pdb", PDB, "--out", spi, "--images", 60, "--pixels", 16, "--grid", 11, "--photons",
            "1e15", "--seed", 5, "--threads", 2)
    assert r.returncode == 0, r.stderr
    return d, stack, spi


def bad_stacks(d, stack):
    shape = h5py.File(stack, "r")[DATA].shape
    return {
        "missing file": (d / "absent.h5", "does not exist"),
        "truncated file": (truncate(stack, d / "truncated.h5"), "truncated.h5"),
        "corrupt chunk": (corrupt_chunk(stack, d / "corrupt.h5", shape[0] // 2), "is corrupt"),
        "empty stack": (copy_with(stack, d / "empty.h5",
                                  lambda f: rewrite_data(f, np.zeros((0,) + shape[1:], np.float32))), "/entry_1/data_1/data"),
    }


COMMANDS = {
    "fit": lambda src, out: ("fit", src, "--out", out, "--threads", 2),
    "reduce": lambda src, out: ("reduce", src, "--out", out, "--threads", 2),
    "spi": lambda src, out: ("spi", "reconstruct", src, "--out", out, "--grid", 11, "--generations", 2,
                             "--orientations", 200, "--threads", 2),
}


def cases(command, d, stack, spi):
    if command == "spi":
        images = h5py.File(spi, "r")[DATA].shape
        return {
            "missing file": (d / "absent.h5", "does not exist"),
            "truncated file": (truncate(spi, d / "spi_truncated.h5"), "spi_truncated.h5"),
            "all-NaN images": (copy_with(spi, d / "spi_nan.h5",
                                         lambda f: f[DATA].__setitem__(Ellipsis, np.nan)), "holds nan"),
            "corrupt chunk": (corrupt_chunk(spi, d / "spi_corrupt.h5", images[0] // 2), "spi_corrupt.h5"),
        }
    out = bad_stacks(d, stack)
    if command == "fit":  # a reduction of all-NaN or 1-D frames is well defined; a fit of them is not
        out["wrong rank"] = (copy_with(stack, d / "rank2.h5", lambda f: rewrite_data(f, f[DATA][:, :, 0])),
                             "has rank 2")
        out["all-NaN stack"] = (copy_with(stack, d / "nan.h5", lambda f: f[DATA].__setitem__(Ellipsis, np.nan)),
                                "no finite values")
    return out


@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_inputs_never_block_the_next_run(command, inputs, tmp_path):
    d, stack, spi = inputs
    out = tmp_path / "result.h5"
    for name, (path, needle) in cases(command, d, stack, spi).items():
        for attempt in (1, 2):
            r = run(*COMMANDS[command](path, out))
            assert r.returncode == 2, f"{command}, {name}, run {attempt}: {r.returncode} {r.stderr}"
            assert r.stderr.startswith("xpulse: error: ") and r.stderr.count("\n") == 1, (name, r.stderr)
            assert needle in r.stderr, (name, r.stderr)
            assert "journal" not in r.stderr, (name, r.stderr)
            assert left_behind(out) == [], (name, left_behind(out))
    good = spi if command == "spi" else stack
    r = run(*COMMANDS[command](good, out))
    assert r.returncode == 0, r.stderr
    assert left_behind(out) == ["result.h5"]
