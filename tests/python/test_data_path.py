"""The parallel data path end to end: compressed and virtual inputs give the same fits as plain ones,
`xpulse reduce` equals a float64 numpy reference, and `--follow` tracks a file while a writer appends to it."""
import os
import subprocess

import h5py
import hdf5plugin
import numpy as np
import pytest
from live_writer import start_live_writer

DATA = "/entry_1/data_1/data"
FILTERS = {
    "deflate": dict(compression="gzip", compression_opts=4, shuffle=True),
    "lz4": hdf5plugin.LZ4(),
    "blosc_zstd": hdf5plugin.Blosc(cname="zstd", clevel=5, shuffle=hdf5plugin.Blosc.SHUFFLE),
    "bitshuffle_lz4": hdf5plugin.Bitshuffle(),
}


def load(path, group):
    out = {}
    with h5py.File(path, "r") as f:
        f[group].visititems(lambda name, obj: out.__setitem__(name, obj[...]) if isinstance(obj, h5py.Dataset) else None)
    return out


def repack(src, dst, data, chunks, **filter_args):
    """Copies a pump-probe file with the stack rewritten as `data` in the given chunking and filter."""
    with h5py.File(src, "r") as fin, h5py.File(dst, "w") as fout:
        for name in ("entry_1/data_1/delay", "entry_1/data_1/mask"):
            fin.copy(fin[name], fout.require_group(os.path.dirname(name)), os.path.basename(name))
        fout.create_dataset(DATA, data=data, chunks=chunks, **filter_args)


def reduce_reference(d):
    d = d.astype(np.float64)
    return {"sum": d.sum(0), "mean": d.mean(0), "max": d.max(0), "min": d.min(0), "std": d.std(0),
            "frame_sum": d.reshape(d.shape[0], -1).sum(1)}


def assert_reduce_matches(out, ref, frames=None):
    got = load(out, "/reduce")
    for name, value in ref.items():
        np.testing.assert_allclose(got[name], value, rtol=1e-12, atol=0, equal_nan=True, err_msg=name)
    if frames is not None:
        assert got["frame_sum"].shape == (frames,)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, xpulse):
    path = tmp_path_factory.mktemp("stack") / "sim.h5"
    xpulse("simulate", "pump-probe", "--out", path, "--shape", "60x40x36", "--dtype", "uint16", "--seed", 9,
           "--chunks", "none")
    with h5py.File(path, "r") as f:
        return path, f[DATA][...]


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_compressed_stacks_fit_identically(tmp_path, xpulse, stack, name):
    sim, data = stack
    xpulse("fit", sim, "--out", tmp_path / "plain.h5")
    for chunks in ((1, 40, 36), (60, 8, 12)):
        packed = tmp_path / f"{name}.h5"
        repack(sim, packed, data, chunks, **FILTERS[name])
        summary = xpulse("fit", packed, "--out", tmp_path / "packed.h5", "--threads", 2)
        assert "parallel" in summary, summary
        a, b = load(tmp_path / "plain.h5", "/fit"), load(tmp_path / "packed.h5", "/fit")
        for key in a:
            assert a[key].tobytes() == b[key].tobytes(), (name, chunks, key)


def make_vds(tmp_path, data, n_files=8, **filter_args):
    """Splits the stack over n_files compressed files (one block of frames each) and stacks them in a VDS."""
    per = -(-data.shape[0] // n_files)
    layout = h5py.VirtualLayout(shape=data.shape, dtype=data.dtype)
    sources = []
    for i in range(n_files):
        part = data[i * per:(i + 1) * per]
        name = tmp_path / f"part{i:02d}.h5"
        with h5py.File(name, "w") as f:
            f.create_dataset("data", data=part, chunks=(1,) + part.shape[1:], **filter_args)
        layout[i * per:i * per + part.shape[0]] = h5py.VirtualSource(name.name, "data", shape=part.shape)
        sources.append(name)
    return layout, sources


def test_virtual_dataset_over_compressed_files(tmp_path, xpulse, stack):
    sim, data = stack
    layout, sources = make_vds(tmp_path, data, **FILTERS["lz4"])
    vds = tmp_path / "vds.h5"
    with h5py.File(sim, "r") as fin, h5py.File(vds, "w") as fout:
        fin.copy(fin["entry_1/data_1/delay"], fout.require_group("entry_1/data_1"), "delay")
        fout.create_virtual_dataset(DATA, layout, fillvalue=0)
    xpulse("fit", sim, "--out", tmp_path / "plain.h5")
    summary = xpulse("fit", vds, "--out", tmp_path / "vds_fit.h5", "--threads", 2)
    assert "virtual over 8 mappings, parallel per source" in summary, summary
    plain = tmp_path / "plain_nomask.h5"
    repack(sim, plain, data, None)
    with h5py.File(plain, "a") as f:
        del f["entry_1/data_1/mask"]
    xpulse("fit", plain, "--out", tmp_path / "plain_fit.h5")
    a, b = load(tmp_path / "plain_fit.h5", "/fit"), load(tmp_path / "vds_fit.h5", "/fit")
    for key in a:
        assert a[key].tobytes() == b[key].tobytes(), key

    xpulse("reduce", vds, "--out", tmp_path / "r.h5")
    assert_reduce_matches(tmp_path / "r.h5", reduce_reference(data))

    # A missing source file is an error naming it, unless --allow-missing.
    os.remove(sources[3])
    binary = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
    r = subprocess.run([binary, "reduce", str(vds), "--out", str(tmp_path / "m.h5")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "part03.h5' does not exist" in r.stderr and "--allow-missing" in r.stderr, r.stderr
    assert not (tmp_path / "m.h5").exists()
    xpulse("reduce", vds, "--out", tmp_path / "m.h5", "--allow-missing")
    expected = data.astype(np.float64)
    per = -(-data.shape[0] // 8)
    expected[3 * per:4 * per] = 0
    assert_reduce_matches(tmp_path / "m.h5", reduce_reference(expected))


@pytest.mark.parametrize("dtype", ["uint16", "int32", "float32", "float64"])
def test_reduce_equals_numpy(tmp_path, xpulse, dtype):
    rng = np.random.default_rng(5)
    data = rng.poisson(300.0, size=(37, 19, 23)).astype(dtype)
    if dtype.startswith("float"):
        data = data - 150.25
        data[4, 2, 3] = np.nan
    path = tmp_path / "d.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("frames", data=data, chunks=(5, 7, 23), compression="gzip")
    xpulse("reduce", path, "--data", "/frames", "--out", tmp_path / "r.h5", "--threads", 2)
    assert_reduce_matches(tmp_path / "r.h5", reduce_reference(data), frames=37)
    xpulse("reduce", path, "--data", "/frames", "--out", tmp_path / "r2.h5", "--frames", "3:30", "--op", "mean,std")
    got = load(tmp_path / "r2.h5", "/reduce")
    assert set(got) == {"mean", "std", "frame_sum", "frame_index"}
    ref = reduce_reference(data[3:30])
    np.testing.assert_allclose(got["mean"], ref["mean"], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(got["std"], ref["std"], rtol=1e-12, equal_nan=True)
    assert got["frame_index"][0] == 3 and got["frame_index"][-1] == 29


@pytest.mark.parametrize("mode", ["swmr", "flush"])
def test_follow_a_file_being_written(tmp_path, mode):
    binary = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
    path, out = tmp_path / "live.h5", tmp_path / "live_reduce.h5"
    frames = np.random.default_rng(11).poisson(50.0, size=(80, 16, 20)).astype("uint16")
    writer = start_live_writer(path, frames, mode, compression="gzip")
    reader = subprocess.run([binary, "reduce", str(path), "--out", str(out), "--follow", "--poll", "0.05",
                             "--idle-timeout", "1.5", "--update", "0.2", "--threads", "2"],
                            capture_output=True, text=True, timeout=120)
    assert writer.wait(timeout=60) == 0
    assert reader.returncode == 0, reader.stderr
    assert ("followed (SWMR)" if mode == "swmr" else "followed (re-open)") in reader.stdout, reader.stdout
    assert_reduce_matches(out, reduce_reference(frames), frames=80)
    with h5py.File(out, "r") as f:
        assert f["/reduce"].attrs["complete"] == "true"
