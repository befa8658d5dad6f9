"""European XFEL run directories as xpulse input: a synthetic run (3 sequence files x 16 AGIPD-like modules, a
module missing from a train, a train absent from one module's INDEX, a dropped pulse, an invalid train, zero
padding in the INDEX) read by `xpulse events export`, `xpulse reduce` and `xpulse sfx peaks` against the stack
the format says it holds (built with numpy from the run's description, not from the files); selections by train
and pulse; the 1.1 and 0.5 flag rules; the run-map cache; and bad runs."""
import os
import shutil
import subprocess

import h5py
import numpy as np
import pytest

from euxfel_run_writer import (DETECTOR, agipd_like_geom, default_model, expected_stack, write_run)

BIN = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")


def run(*args, cache):
    env = dict(os.environ, XPULSE_CACHE_DIR=str(cache))
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def agipd_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("euxfel")
    model = default_model()
    write_run(folder / "r0042", model)
    return folder, model


def export(folder, cache, *extra, run_dir=None, out="stack.cxi"):
    r = run("events", "export", run_dir or folder / "r0042", "--detector", DETECTOR, "--out", folder / out,
            "--threads", 2, *extra, cache=cache)
    return r, folder / out


def test_export_gives_the_frames_the_format_describes(agipd_run, tmp_path):
    folder, model = agipd_run
    r, out = export(folder, tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    want = expected_stack(model)
    assert len(want["trainId"]) == 55  # 11 valid trains x 5 pulses
    with h5py.File(out, "r") as f:
        for key in ("data", "gain", "trainId", "pulseId", "cellId", "missing"):
            np.testing.assert_array_equal(f[f"/entry_1/data_1/{key}"][()], want[key], err_msg=key)
        assert f["/entry_1/data_1/data"].shape == (55, 16, 32, 32)
    miss = want["missing"]
    assert miss.sum() == 5 + 5 + 1  # module 5 in train 1002, module 9 in train 1006, one dropped pulse
    assert "11 module images missing" in r.stdout and "(built)" in r.stdout


def test_trains_and_pulses_select_frames(agipd_run, tmp_path):
    folder, model = agipd_run
    r, out = export(folder, tmp_path / "cache", "--trains", "1003:1006", "--pulses", "4:13", out="sel.cxi")
    assert r.returncode == 0, r.stderr
    want = expected_stack(model, trains=(1003, 1006), pulses=(4, 13))
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(f["/entry_1/data_1/trainId"][()], [1003] * 3 + [1004] * 3 + [1005] * 3)
        for key in ("data", "pulseId", "missing"):
            np.testing.assert_array_equal(f[f"/entry_1/data_1/{key}"][()], want[key], err_msg=key)


def test_the_run_map_is_reused_until_a_file_changes(agipd_run, tmp_path):
    folder, model = agipd_run
    cache = tmp_path / "cache"
    copy = tmp_path / "r0042"
    shutil.copytree(folder / "r0042", copy)
    r, _ = export(tmp_path, cache, run_dir=copy, out="a.cxi")
    assert r.returncode == 0 and "(built)" in r.stdout, r.stderr
    r, _ = export(tmp_path, cache, run_dir=copy, out="b.cxi")
    assert r.returncode == 0 and "(reused)" in r.stdout, r.stderr
    touched = copy / "RAW-R0042-AGIPD04-S00001.h5"
    os.utime(touched, (1e9, 1e9))
    r, _ = export(tmp_path, cache, run_dir=copy, out="c.cxi")
    assert r.returncode == 0 and "(built)" in r.stdout, r.stderr
    assert len(list(cache.iterdir())) == 2  # the stale map stays; nothing partial is left


def test_reduce_reads_the_run_directly(agipd_run, tmp_path):
    folder, model = agipd_run
    out = tmp_path / "sum.h5"
    r = run("reduce", folder / "r0042", "--detector", DETECTOR, "--out", out, "--op", "sum", "--threads", 2,
            cache=tmp_path / "cache")
    assert r.returncode == 0, r.stderr
    want = expected_stack(model)["data"].astype(np.float64).sum(axis=0).reshape(16 * 32, 32)
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(f["/reduce/sum"][()], want)


def test_sfx_peaks_on_the_run_equal_peaks_on_the_stack(agipd_run, tmp_path):
    folder, model = agipd_run
    geom = tmp_path / "agipd.geom"
    agipd_like_geom(geom)
    stack = tmp_path / "stack3d.cxi"
    with h5py.File(stack, "w") as f:
        f["/entry_1/data_1/data"] = expected_stack(model)["data"].reshape(55, 16 * 32, 32).astype(np.float32)
    outs = []
    for name, source, extra in [("run", folder / "r0042", ["--detector", DETECTOR]), ("stack", stack, [])]:
        out = tmp_path / f"{name}_peaks.h5"
        r = run("sfx", "peaks", source, *extra, "--geometry", geom, "--out", out, "--threshold", 500, "--min-snr",
                4, "--min-peaks", 1, "--threads", 2, cache=tmp_path / "cache")
        assert r.returncode == 0, r.stderr
        assert "16 panels" in r.stdout
        with h5py.File(out, "r") as f:
            outs.append([f[f"/entry_1/result_1/{k}"][()] for k in ("nPeaks", "peakXPosRaw", "peakYPosRaw")])
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    n = outs[0][0]
    # One bright spot per module image present.
    np.testing.assert_array_equal(n, 16 - expected_stack(model)["missing"].sum(axis=1))


@pytest.mark.parametrize("version", ["1.1", "0.5"])
def test_older_format_versions(tmp_path, version):
    model = default_model(modules=2, sequences=2, trains_per_sequence=3)
    invalid = (1001,) if version == "1.1" else ()
    write_run(tmp_path / "run", model, invalid=invalid, version=version)
    r, out = export(tmp_path, tmp_path / "cache", run_dir=tmp_path / "run")
    assert r.returncode == 0, r.stderr
    want = expected_stack(model, invalid=invalid)
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(f["/entry_1/data_1/trainId"][()], want["trainId"])
        np.testing.assert_array_equal(f["/entry_1/data_1/data"][()], want["data"])


def corrupt(path, edit):
    with h5py.File(path, "r+") as f:
        edit(f)


def test_bad_runs(agipd_run, tmp_path):
    folder, model = agipd_run
    src = "SPB_DET_AGIPD1M-1/DET/3CH0:xtdf"

    def past_the_end(f):
        first = f[f"INDEX/{src}/image/first"]
        first[2] = 1000

    def truncated(f):
        count = f[f"INDEX/{src}/image/count"][()]
        del f[f"INDEX/{src}/image/count"]
        f[f"INDEX/{src}/image/count"] = count[:2]

    def wrong_train(f):
        t = f[f"INSTRUMENT/{src}/image/trainId"]
        t[0] = 77

    cases = [(lambda d: corrupt(d / "RAW-R0042-AGIPD03-S00001.h5", past_the_end),
              "RAW-R0042-AGIPD03-S00001.h5': the INDEX puts train 1006's frames at 1000..1004, but"),
             (lambda d: corrupt(d / "RAW-R0042-AGIPD03-S00001.h5", truncated), "entries for 4 trains (truncated INDEX?)"),
             (lambda d: corrupt(d / "RAW-R0042-AGIPD03-S00000.h5", wrong_train), "image/trainId says 77"),
             (lambda d: os.remove(d / "RAW-R0042-AGIPD07-S00002.h5"),
              "module 7 of 'SPB_DET_AGIPD1M-1' has no sequence 2 file"),
             (lambda d: [os.remove(d / f"RAW-R0042-AGIPD06-S{s:05d}.h5") for s in range(3)],
              "module 6 of 'SPB_DET_AGIPD1M-1' has no files")]
    for i, (damage, words) in enumerate(cases):
        d = tmp_path / f"bad{i}"
        shutil.copytree(folder / "r0042", d)
        damage(d)
        r, out = export(tmp_path, tmp_path / "cache", run_dir=d, out=f"bad{i}.cxi")
        assert r.returncode == 2, (words, r.stdout)
        assert r.stderr.startswith("xpulse: error: ") and r.stderr.count("\n") == 1, r.stderr
        assert words in r.stderr, r.stderr
        assert not os.path.exists(out) and not os.path.exists(str(out) + ".partial")
        assert not [p for p in (tmp_path / "cache").glob("*partial*")] if (tmp_path / "cache").exists() else True
    for args, words in [(["--detector", "NOPE_DET"], "no file in"),
                        (["--detector", DETECTOR, "--trains", "10x:"], "--trains must be FIRST:END"),
                        (["--detector", DETECTOR, "--trains", "2000:3000"], "within --trains/--pulses")]:
        r = run("events", "export", folder / "r0042", *args, "--out", tmp_path / "x.cxi", cache=tmp_path / "cache")
        assert r.returncode == 2 and words in r.stderr and r.stderr.count("\n") == 1, (args, r.stderr)
        assert not os.path.exists(tmp_path / "x.cxi")
    stack = tmp_path / "plain.h5"
    with h5py.File(stack, "w") as f:
        f["/entry_1/data_1/data"] = np.zeros((2, 4, 4), np.float32)
    r = run("reduce", stack, "--detector", DETECTOR, "--out", tmp_path / "y.h5", cache=tmp_path / "cache")
    assert r.returncode == 2 and "is not one" in r.stderr, r.stderr
