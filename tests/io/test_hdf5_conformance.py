"""HDF5 conformance: files written by libhdf5 (through h5py, and its C API through ctypes where h5py has no
option) in every storage layout, chunk-index type, filter and byte order xpulse may meet, read back through
xpulse.read and `xpulse reduce` and compared with the array that was written. The chunk-index type each case
claims is checked with libhdf5's own H5Dget_chunk_index_type, so a case cannot silently test another index."""
import ctypes
import ctypes.util
import os
import subprocess
from pathlib import Path

import h5py
import hdf5plugin
import numpy as np
import pytest

import xpulse as xp

XPULSE = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
SHARED_EDGE = Path(__file__).resolve().parents[3] / "shared" / "data" / "hdf5" / "h5fc_edge_v3.h5"

# libhdf5 as h5py loaded it: the C API for what h5py does not expose.
_h5 = ctypes.CDLL(ctypes.util.find_library("hdf5_serial") or "libhdf5_serial.so")
_h5.H5Pset_chunk_opts.argtypes = [ctypes.c_int64, ctypes.c_uint]
_h5.H5Dget_chunk_index_type.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_int)]
DONT_FILTER_PARTIAL_CHUNKS = 0x2
INDEX = {0: "btree1", 1: "single", 2: "implicit", 3: "farray", 4: "earray", 5: "btree2"}

SHAPE, CHUNKS = (9, 13, 11), (4, 5, 6)  # every axis has a partial edge chunk
FILTERS = {
    "none": {},
    "deflate": dict(compression="gzip", compression_opts=6),
    "shuffle_deflate": dict(compression="gzip", shuffle=True),
    "lz4": dict(hdf5plugin.LZ4()),
    "blosc_zstd": dict(hdf5plugin.Blosc(cname="zstd", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE)),
    "blosc_lz4_bitshuffle": dict(hdf5plugin.Blosc(cname="lz4", shuffle=hdf5plugin.Blosc.BITSHUFFLE)),
    "bitshuffle": dict(hdf5plugin.Bitshuffle(cname="none")),
    "bitshuffle_lz4": dict(hdf5plugin.Bitshuffle()),
    "fletcher32": dict(fletcher32=True),
    "shuffle_deflate_fletcher32": dict(compression="gzip", shuffle=True, fletcher32=True),
}
# (libver, maxshape, chunks) of each chunk-index type for SHAPE.
INDEXES = {
    "single": ("latest", SHAPE, SHAPE),
    "farray": ("latest", SHAPE, CHUNKS),
    "farray_wider": ("latest", (9, 20, 30), CHUNKS),
    "earray_unlimited_0": ("latest", (None, 13, 11), CHUNKS),
    "earray_unlimited_1": ("latest", (9, None, 11), CHUNKS),
    "earray_unlimited_2": ("latest", (9, 13, None), CHUNKS),
    "btree2": ("latest", (None, None, 11), CHUNKS),
    "btree1": ("earliest", (None, 13, 11), CHUNKS),
    "btree1_fixed": ("earliest", SHAPE, CHUNKS),
}


def index_type(path, name="d"):
    with h5py.File(path, "r") as f:
        value = ctypes.c_int(-1)
        assert _h5.H5Dget_chunk_index_type(f[name].id.id, ctypes.byref(value)) >= 0
        return INDEX[value.value]


def known_array(dtype, shape=SHAPE, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.normal(100, 30, shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -5000), min(info.max, 5000), shape, endpoint=True).astype(dtype)


def write(path, a, *, libver="latest", maxshape=None, chunks=None, dcpl_edit=None, fillvalue=None, **filters):
    """Writes `a` as /d; dcpl_edit(dcpl) may set what h5py's high-level API cannot (through the C API)."""
    with h5py.File(path, "w", libver=libver) as f:
        if dcpl_edit is None:
            f.create_dataset("d", data=a, maxshape=maxshape, chunks=chunks, fillvalue=fillvalue, **filters)
            return
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        if chunks is not None:
            dcpl.set_chunk(chunks)
        dcpl_edit(dcpl)
        space = h5py.h5s.create_simple(a.shape, tuple(h5py.h5s.UNLIMITED if m is None else m for m in maxshape)
                                       if maxshape else a.shape)
        tid = h5py.h5t.py_create(a.dtype, logical=True)
        dsid = h5py.h5d.create(f.id, b"d", tid, space, dcpl=dcpl)
        h5py.Dataset(dsid)[...] = a


def assert_reads_back(path, a, tmp_path, reduce=True):
    """xpulse.read gives the written array (whole and a box that crosses chunk edges); reduce's sum is numpy's."""
    got = xp.read(str(path), "d")
    assert got.dtype == a.dtype.newbyteorder("=") and got.shape == a.shape
    assert np.array_equal(got, a)
    if a.ndim == 3:
        box = np.s_[1:8, 3:12, 2:10]
        assert np.array_equal(xp.read(str(path), "d", box, threads=2), a[box])
    if reduce and a.ndim == 3:
        out = tmp_path / "reduce.h5"
        r = subprocess.run([XPULSE, "reduce", str(path), "--data", "/d", "--out", str(out), "--op", "sum,max",
                            "--threads", "2"], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        with h5py.File(out, "r") as f:
            assert np.array_equal(f["reduce/sum"][()], a.astype(np.float64).sum(0))
            assert np.array_equal(f["reduce/max"][()], a.astype(np.float64).max(0))


@pytest.mark.parametrize("index", list(INDEXES))
@pytest.mark.parametrize("filt", list(FILTERS))
def test_chunk_index_and_filter(index, filt, tmp_path):
    libver, maxshape, chunks = INDEXES[index]
    a = known_array(np.float32 if "bitshuffle" not in filt else np.uint16, seed=hash((index, filt)) % 1000)
    path = tmp_path / "f.h5"
    write(path, a, libver=libver, maxshape=maxshape, chunks=chunks, **FILTERS[filt])
    assert index_type(path) == index.split("_")[0]
    assert_reads_back(path, a, tmp_path, reduce=filt in ("none", "shuffle_deflate", "bitshuffle_lz4"))


def test_implicit_index(tmp_path):
    a = known_array(np.int32)
    path = tmp_path / "f.h5"
    write(path, a, maxshape=SHAPE, chunks=CHUNKS, dcpl_edit=lambda p: p.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY))
    assert index_type(path) == "implicit"
    assert_reads_back(path, a, tmp_path)


# The option needs layout message version 4, which the v1 B-tree index predates: libhdf5 picks another index.
@pytest.mark.parametrize("index", ["farray", "earray_unlimited_0", "earray_unlimited_2", "btree2"])
@pytest.mark.parametrize("filt", ["deflate", "lz4", "shuffle_deflate_fletcher32"])
def test_partial_edge_chunks_stored_unfiltered(index, filt, tmp_path):
    libver, maxshape, chunks = INDEXES[index]
    a = known_array(np.float64, seed=7)
    path = tmp_path / "f.h5"

    def edit(dcpl):
        if filt == "lz4":
            dcpl.set_filter(hdf5plugin.LZ4_ID, h5py.h5z.FLAG_OPTIONAL, (0,))
        else:
            if "shuffle" in filt:
                dcpl.set_shuffle()
            dcpl.set_deflate(6)
            if "fletcher32" in filt:
                dcpl.set_fletcher32()
        assert _h5.H5Pset_chunk_opts(dcpl.id, DONT_FILTER_PARTIAL_CHUNKS) >= 0

    write(path, a, libver=libver, maxshape=maxshape, chunks=chunks, dcpl_edit=edit)
    assert index_type(path) == index.split("_")[0]
    with h5py.File(path, "r") as f:  # the edge chunk really is stored raw (full size) with no filter mask set
        mask, raw = f["d"].id.read_direct_chunk((8, 10, 6))
        assert len(raw) == 4 * 5 * 6 * 8 and mask == 0
    assert_reads_back(path, a, tmp_path)


@pytest.mark.parametrize("index", ["farray", "earray_unlimited_1", "btree2", "btree1"])
def test_unallocated_chunks_read_as_the_fill_value(index, tmp_path):
    libver, maxshape, chunks = INDEXES[index]
    a = np.full(SHAPE, -7.5, np.float32)
    a[4:8, 5:10, :6] = known_array(np.float32, (4, 5, 6))  # exactly one chunk written
    path = tmp_path / "f.h5"
    with h5py.File(path, "w", libver=libver) as f:
        d = f.create_dataset("d", SHAPE, np.float32, maxshape=maxshape, chunks=chunks, fillvalue=-7.5,
                             compression="gzip")
        d[4:8, 5:10, :6] = a[4:8, 5:10, :6]
        assert d.id.get_num_chunks() == 1
    assert_reads_back(path, a, tmp_path)


@pytest.mark.parametrize("dtype", [">f4", ">f8", ">u2", ">i4", "<u1", "<i2", "<u4", "<i8"])
@pytest.mark.parametrize("layout", ["contiguous", "chunked_deflate"])
def test_byte_orders_and_types(dtype, layout, tmp_path):
    a = known_array(np.dtype(dtype))
    path = tmp_path / "f.h5"
    if layout == "contiguous":
        write(path, a)
    else:
        write(path, a, chunks=CHUNKS, compression="gzip", shuffle=True)
    assert_reads_back(path, a, tmp_path, reduce=dtype in (">f4", "<u1"))


def test_compact_layout(tmp_path):
    a = known_array(np.int16, (3, 4, 5))
    path = tmp_path / "f.h5"
    write(path, a, dcpl_edit=lambda p: p.set_layout(h5py.h5d.COMPACT))
    with h5py.File(path, "r") as f:
        assert f["d"].id.get_create_plist().get_layout() == h5py.h5d.COMPACT
    assert_reads_back(path, a, tmp_path)


@pytest.mark.parametrize("libver", ["earliest", "latest"])
def test_contiguous_layout_and_other_ranks(libver, tmp_path):
    for rank, shape in ((1, (101,)), (2, (17, 23)), (3, SHAPE), (4, (3, 4, 5, 6))):
        a = known_array(np.float32, shape, seed=rank)
        path = tmp_path / f"r{rank}.h5"
        write(path, a, libver=libver)
        assert_reads_back(path, a, tmp_path)
        chunked = tmp_path / f"c{rank}.h5"
        write(chunked, a, libver=libver, chunks=tuple(max(1, s // 3) for s in shape), compression="gzip",
              maxshape=(None,) + shape[1:])
        assert_reads_back(chunked, a, tmp_path)


def test_extended_dataset_keeps_every_chunk_in_place(tmp_path):
    # A dataset grown along a non-first unlimited axis after writing: the index gains chunks at new coordinates.
    path = tmp_path / "f.h5"
    a = known_array(np.float32, (9, 13, 30))
    with h5py.File(path, "w", libver="latest") as f:
        d = f.create_dataset("d", data=a[:, :, :11], maxshape=(9, 13, None), chunks=CHUNKS, compression="gzip")
        d.resize(30, axis=2)
        d[:, :, 11:] = a[:, :, 11:]
    assert index_type(path) == "earray"
    assert_reads_back(path, a, tmp_path)


def test_hdf5_test_file_with_unfiltered_partial_edge_chunks(tmp_path):
    """HDF5's own h5format_convert test file, read in place (DSET_EDGE: deflate, edge chunks stored raw)."""
    assert SHARED_EDGE.is_file(), f"{SHARED_EDGE} is missing"
    with h5py.File(SHARED_EDGE, "r") as f:
        expected = f["DSET_EDGE"][()]
    got = xp.read(str(SHARED_EDGE), "/DSET_EDGE", threads=2)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)
    assert np.array_equal(xp.read(str(SHARED_EDGE), "/DSET_EDGE", np.s_[3:12, 4:6]), expected[3:12, 4:6])
