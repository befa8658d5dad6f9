"""xpulse.reduce and xpulse.read: the command line's reductions and the parallel reader, on numpy and files."""
import h5py
import numpy as np
import pytest

import xpulse as xp

DATA = "/entry_1/data_1/data"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, xpulse):
    """A uint16 stack chunked in DELAYSx32x32 tiles and a frame-chunked float32 one."""
    d = tmp_path_factory.mktemp("reduce")
    u16, f32 = d / "u16.h5", d / "f32.h5"
    xpulse("simulate", "pump-probe", "--out", u16, "--shape", "40x40x50", "--dtype", "uint16", "--chunks", "tile")
    xpulse("simulate", "pump-probe", "--out", f32, "--shape", "30x20x24", "--seed", 5)
    return u16, f32


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def test_reduce_equals_the_cli_bit_for_bit(stack, tmp_path, xpulse):
    u16, _ = stack
    out = tmp_path / "red.h5"
    xpulse("reduce", u16, "--out", out, "--frames", "3:17", "--threads", 2)
    from_file = xp.reduce(u16, frames=(3, 17), threads=2)
    with h5py.File(u16) as f:
        data = f[DATA][()]
    from_array = xp.reduce(data[3:17], threads=1)
    with h5py.File(out) as f:
        for op in ("sum", "mean", "max", "min", "std", "frame_sum"):
            stored = f["reduce"][op][()]
            assert same(from_file[op], stored), op
            assert same(from_array[op], stored), op
    assert from_file["frames"] == from_array["frames"] == 14


def test_reduce_agrees_with_numpy_for_any_layout():
    rng = np.random.default_rng(2)
    a = rng.normal(10, 3, (7, 5, 6)).astype(np.float32)
    a[2, 1, 1] = np.nan
    r = xp.reduce(a, "mean,std,max")
    assert set(r) == {"mean", "std", "max", "frame_sum", "frames"}
    a64 = a.astype(np.float64)
    assert np.allclose(r["mean"], a64.mean(0), rtol=1e-13, equal_nan=True)
    assert np.allclose(r["std"], a64.std(0), rtol=1e-12, equal_nan=True)
    assert np.array_equal(r["max"], a64.max(0), equal_nan=True)
    assert np.isnan(r["mean"][1, 1]) and np.isnan(r["max"][1, 1])
    # A non-contiguous view gives the same numbers as its contiguous copy.
    view = np.moveaxis(np.ascontiguousarray(np.moveaxis(a, 0, -1)), -1, 0)
    assert not view.flags.c_contiguous
    for k, v in xp.reduce(view, "mean,std,max").items():
        assert np.array_equal(v, r[k], equal_nan=True), k


@pytest.mark.parametrize("selection", [None, np.s_[3:7], np.s_[3:7, :, 5], np.s_[..., 2], np.s_[-1], np.s_[2, 10:30, -5:],
                                       np.s_[:, 0, ...], np.s_[5:5]])
def test_read_equals_h5py(stack, selection):
    u16, f32 = stack
    for path in (u16, f32):
        with h5py.File(path) as f:
            whole = f[DATA][()]
        expected = whole if selection is None else whole[selection]
        got = xp.read(path, DATA, selection, threads=2)
        assert same(got, expected), (path.name, selection)


@pytest.mark.parametrize("call, error, message", [
    (lambda p: xp.read(p.parent / "none.h5", DATA), OSError, "input file '{dir}/none.h5' does not exist"),
    (lambda p: xp.read(p, "/entry_1/nothing"), ValueError, "dataset '/entry_1/nothing' not found in '{path}'"),
    (lambda p: xp.read(p, DATA, np.s_[::2]), ValueError, "selection axis 0: only step 1 is supported"),
    (lambda p: xp.read(p, DATA, np.s_[40]), ValueError, "index 40 is out of range for axis 0 of '" + DATA + "' (size 40)"),
    (lambda p: xp.read(p, DATA, np.s_[1, 2, 3, 4]), ValueError, "selection has 4 indices but '" + DATA + "' has 3"),
    (lambda p: xp.read(p, DATA, np.s_[..., 1, ...]), ValueError, "at most one Ellipsis"),
    (lambda p: xp.reduce(p.parent / "none.h5"), OSError, "input file '{dir}/none.h5' does not exist"),
    (lambda p: xp.reduce(p, frames=(3, 99)), ValueError, "frames 3:99 is outside the 40 frames of '" + DATA + "'"),
    (lambda p: xp.reduce(p, frames=(5, 5)), ValueError, "frames 5:5 is empty"),
    (lambda p: xp.reduce(p, "sum,median"), ValueError, "--op 'median' is not known; use any of sum,mean,max,min,std"),
    (lambda p: xp.reduce(p, dataset="/entry_1/data_1/delay"), ValueError, "has rank 1; expected [frame, ...]"),
    (lambda p: xp.reduce(np.zeros((0, 4))), ValueError, "data is empty"),
    (lambda p: xp.reduce(np.array(["a", "b"])), ValueError, "data must be numeric"),
    (lambda p: xp.reduce(np.zeros((3, 4)), frames=(0, 1)), ValueError, "frames applies to a file"),
])
def test_bad_input_raises_with_a_clear_message(stack, call, error, message):
    u16, _ = stack
    with pytest.raises(error) as e:
        call(u16)
    assert message.format(dir=u16.parent, path=u16) in str(e.value)


def test_a_truncated_file_raises_os_error(stack, tmp_path):
    u16, _ = stack
    cut = tmp_path / "cut.h5"
    cut.write_bytes(u16.read_bytes()[: u16.stat().st_size // 2])
    with pytest.raises(OSError):
        xp.read(cut, DATA)
    with pytest.raises(OSError):
        xp.reduce(cut)


def test_damaged_data_raises_os_error_and_bad_arguments_value_error(stack, tmp_path):
    """A corrupt chunk or a damaged object header is the file's fault (OSError, with the reason); a selection
    outside the data is the caller's (ValueError)."""
    u16, _ = stack
    bad = tmp_path / "bad.h5"
    with h5py.File(u16) as fin, h5py.File(bad, "w", libver="latest") as fout:
        fout.create_dataset(DATA, data=fin[DATA][()], chunks=(4, 8, 8), compression="gzip")
    with h5py.File(bad) as f:
        info = f[DATA].id.get_chunk_info_by_coord((8, 0, 0))
        header = h5py.h5o.get_info(f[DATA].id).addr
    raw = bytearray(bad.read_bytes())
    raw[info.byte_offset:info.byte_offset + info.size] = b"\x13" * info.size
    bad.write_bytes(bytes(raw))
    with pytest.raises(OSError, match=r"chunk at \[8, 0, 0\] is corrupt"):
        xp.read(bad, DATA, threads=2)
    with pytest.raises(ValueError, match="out of range"):
        xp.read(bad, DATA, np.s_[99])
    # The dataset's object header loses its signature.
    raw = bytearray(bad.read_bytes())
    assert raw[header:header + 4] == b"OHDR"
    raw[header:header + 4] = b"XXXX"
    bad.write_bytes(bytes(raw))
    with pytest.raises(OSError) as e:
        xp.read(bad, DATA)
    assert "not found" not in str(e.value)
