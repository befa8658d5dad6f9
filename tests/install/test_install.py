"""The install as a user gets it: `cmake --install` into a fresh prefix, a C++ program built against the installed
CMake package and pkg-config file, the Python package imported from outside the source tree, the man pages, and
`pip wheel --no-build-isolation` packing the same extension the build made."""
import glob
import hashlib
import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

BUILD = pathlib.Path(os.environ["XPULSE_BUILD_DIR"])
SOURCE = pathlib.Path(__file__).resolve().parents[2]
DOWNSTREAM = SOURCE / "tests" / "install" / "downstream"
# A child Python that sees neither the source tree nor a package installed elsewhere.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XPULSE_CUDA_MODULE")}

FIT_CHECK = """
import sys, numpy as np, xpulse
t = np.linspace(-1, 12, 66)
f = np.array([0.4, 0.7])
y = 500 + 40 * np.exp(-0.1 * np.clip(t, 0, None))[:, None] * np.cos(2 * np.pi * f * np.clip(t, 0, None)[:, None])
fit = xpulse.fit_damped_cosine(y.astype(np.float32), t)
assert np.all(fit["status"] == 0), fit["status"]
assert np.allclose(fit["frequency"], f, atol=1e-4), fit["frequency"]
print(xpulse.__file__)
"""


def run(*args, **kwargs):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert r.returncode == 0, f"{' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r.stdout


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    root = tmp_path_factory.mktemp("prefix")
    run("cmake", "--install", BUILD, "--prefix", root)
    return root


def site_packages(prefix):
    found = glob.glob(str(prefix / "lib" / "python3*" / "*-packages" / "xpulse" / "_xpulse*.so"))
    assert len(found) == 1, found
    return pathlib.Path(found[0]).parents[1]


def test_the_install_holds_every_part(prefix):
    for part in ("bin/xpulse", "bin/xpulse-plot", "include/xpulse/xpulse.h", "include/xpulse/pump_probe.h",
                 "include/xpulse/error.h", "include/xpulse/version.h", "lib/cmake/xpulse/xpulseConfig.cmake",
                 "lib/cmake/xpulse/xpulseConfigVersion.cmake", "lib/pkgconfig/xpulse.pc",
                 "share/man/man1/xpulse.1", "share/man/man1/xpulse-fit.1", "share/man/man1/xpulse-sfx-merge.1"):
        assert (prefix / part).exists(), part
    assert glob.glob(str(prefix / "lib" / "libxpulse.so.*"))
    if (BUILD / "lib" / "libxpulse_cuda.so").exists():
        assert (prefix / "lib" / "libxpulse_cuda.so").exists()
    # Only the public API is installed: no internal header.
    headers = sorted(p.name for p in (prefix / "include" / "xpulse").iterdir())
    assert headers == ["error.h", "pump_probe.h", "version.h", "xpulse.h"], headers
    page = (prefix / "share/man/man1/xpulse-fit.1").read_text()
    assert ".SH" in page and "\\-\\-out" in page


def test_the_installed_binary_uses_the_installed_library(prefix):
    version = run(prefix / "bin" / "xpulse", "--version")
    assert "0.1.0" in version
    libraries = run("ldd", prefix / "bin" / "xpulse")
    line = next(x for x in libraries.splitlines() if "libxpulse.so" in x)
    loaded = pathlib.Path(line.split("=>")[1].split("(")[0].strip()).resolve()
    assert loaded.parent == (prefix / "lib").resolve(), line
    assert "cuda" not in libraries.lower(), libraries
    pc = (prefix / "lib/pkgconfig/xpulse.pc").read_text()
    assert f"prefix={prefix}\n" in pc, pc


def test_a_cmake_program_builds_against_the_installed_package(prefix, tmp_path):
    build = tmp_path / "downstream"
    run("cmake", "-S", DOWNSTREAM, "-B", build, f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release")
    run("cmake", "--build", build)
    assert run(build / "downstream").startswith("ok 0.1.0")


def test_a_program_builds_with_pkg_config(prefix, tmp_path):
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    flags = run("pkg-config", "--cflags", "--libs", "xpulse", env=env).split()
    program = tmp_path / "downstream_pc"
    run("g++", "-std=c++17", "-O1", DOWNSTREAM / "main.cpp", "-o", program, *flags)
    out = run(program, env=dict(os.environ, LD_LIBRARY_PATH=str(prefix / "lib")))
    assert out.startswith("ok 0.1.0")


def test_the_installed_python_package_imports_outside_the_source_tree(prefix, tmp_path):
    site = site_packages(prefix)
    env = dict(CLEAN_ENV, PYTHONPATH=str(site))
    where = run(sys.executable, "-c", FIT_CHECK, cwd=tmp_path, env=env).strip()
    assert where == str(site / "xpulse" / "__init__.py"), where
    assert "usage" in run(prefix / "bin" / "xpulse-plot", "--help", cwd=tmp_path, env=env).lower()


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def test_pip_builds_a_wheel_of_the_same_extension(tmp_path):
    env = dict(CLEAN_ENV, XPULSE_BUILD_DIR=str(BUILD), PIP_NO_INDEX="1")
    run(sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-w", tmp_path / "dist", SOURCE,
        env=env)
    wheel = next((tmp_path / "dist").glob("xpulse-0.1.0-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        extension = next(n for n in names if n.startswith("xpulse/_xpulse"))
        built = next((SOURCE / "python" / "xpulse").glob("_xpulse*.so"))
        assert hashlib.sha256(z.read(extension)).hexdigest() == sha256(built)
    assert "xpulse/__init__.py" in names and "xpulse/plot.py" in names
    assert any(n.startswith("xpulse/libxpulse.so.") for n in names), names
    # Installed from the wheel, the package runs from outside the source tree with the libxpulse it carries.
    target = tmp_path / "site"
    run(sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", target, wheel, env=env)
    where = run(sys.executable, "-c", FIT_CHECK, cwd=tmp_path, env=dict(CLEAN_ENV, PYTHONPATH=str(target))).strip()
    assert where == str(target / "xpulse" / "__init__.py")
