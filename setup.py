"""The Python package's compiled part comes from the CMake build (pyproject.toml has the rest).

The extension xpulse._xpulse is built by CMake in build/ (or $XPULSE_BUILD_DIR), configured first when that folder
holds no build, and packed with the libxpulse it links, which it finds beside itself once installed. The CUDA
module is not packed: set XPULSE_CUDA_MODULE to an installed libxpulse_cuda.so to use a GPU from the package.
"""
import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent
BUILD = pathlib.Path(os.environ.get("XPULSE_BUILD_DIR", ROOT / "build")).resolve()


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        if not (BUILD / "CMakeCache.txt").exists():
            subprocess.run(["cmake", "-S", str(ROOT), "-B", str(BUILD), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                            f"-DXPULSE_PYTHON={sys.executable}", "-DXPULSE_PYTHON_MODULE=ON"], check=True)
        subprocess.run(["cmake", "--build", str(BUILD), "--target", "_xpulse"], check=True)
        filename = pathlib.Path(self.get_ext_filename(ext.name))
        built = ROOT / "python" / filename
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)
        # libxpulse by its soname, as the extension asks for it.
        soname = next(BUILD.glob("lib/libxpulse.so.*.*.*")).name.rsplit(".", 1)[0]
        shutil.copy2(BUILD / "lib" / soname, target.parent / soname)


(BUILD / "setuptools").mkdir(parents=True, exist_ok=True)
setup(ext_modules=[Extension("xpulse._xpulse", sources=[])], cmdclass={"build_ext": CMakeBuild},
      # setuptools' own working files go under the build folder, not into the source tree.
      options={"build": {"build_base": str(BUILD / "setuptools")}, "egg_info": {"egg_base": str(BUILD / "setuptools")}})
