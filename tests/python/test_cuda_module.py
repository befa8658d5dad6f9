"""The CUDA backends are a module loaded on demand (src/runtime/cuda_module.h): neither the xpulse binary nor the
Python extension links a CUDA library, the binary starts small, and without a usable GPU `--device auto` runs on
the CPU and says why while `--device cuda` is one line."""
import os
import re
import subprocess
import sys

import pytest

import xpulse

BINARY = os.environ.get("XPULSE_BIN", "build/apps/xpulse/xpulse")
CUDA_LIBRARY = re.compile(r"lib(cudart|cufft|cublas|cublasLt|cuda)\.so")


def needed(path):
    """The shared libraries the dynamic loader brings in for `path`, by ldd."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def test_neither_the_binary_nor_the_extension_links_cuda():
    for path in (BINARY, xpulse._xpulse.__file__):
        libraries = needed(path)
        assert libraries, path
        assert not [x for x in libraries if CUDA_LIBRARY.search(x)], (path, libraries)


def test_version_starts_small():
    # A fresh interpreter runs xpulse alone, so the peak of its children is xpulse's.
    probe = ("import resource, subprocess, sys; r = subprocess.run([sys.argv[1], '--version'], capture_output=True, "
             "text=True); assert r.returncode == 0 and r.stdout.startswith('xpulse '), r; "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, BINARY], capture_output=True, text=True, check=True).stdout
    peak_kib = int(out.strip())
    assert peak_kib < 40 * 1024, f"xpulse --version peaked at {peak_kib} KiB"


@pytest.mark.skipif(os.path.exists("/dev/nvidia0"), reason="a GPU is present: the CUDA tests cover it")
@pytest.mark.parametrize("module", ["built", "removed"])
def test_without_a_gpu_auto_runs_on_the_cpu_and_says_why(tmp_path, module):
    env = dict(os.environ)
    if module == "removed":
        env["XPULSE_CUDA_MODULE"] = str(tmp_path / "no_such_module.so")
    run = lambda *args: subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, env=env)
    stack = tmp_path / "stack.h5"
    assert run("simulate", "pump-probe", "--out", stack, "--shape", "40x8x8", "--seed", 3).returncode == 0
    auto = run("fit", stack, "--out", tmp_path / "auto.h5", "--device", "auto", "--threads", "1")
    assert auto.returncode == 0, auto.stderr
    note = re.search(r"on cpu \(1 thread; no GPU: (.*)\), model", auto.stdout)
    assert note, auto.stdout
    cuda = run("fit", stack, "--out", tmp_path / "cuda.h5", "--device", "cuda")
    assert cuda.returncode == 2
    assert cuda.stderr == f"xpulse: error: --device cuda: {note.group(1)}; use --device cpu or auto\n"
    assert not (tmp_path / "cuda.h5").exists()
