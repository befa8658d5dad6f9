"""`dials.stills_process` on the frames of an `xpulse simulate sfx` file, for the DIALS comparison scripts.

Each frame is exported as an SMV image (bench/compare_dials.py's writer); the beam centre moves half a pixel because
dxtbx puts pixel centres at +0.5. Debian's DIALS lacks the compiled module `xfel_mono_sim_ext` that stills_process
imports: an empty stand-in on PYTHONPATH lets it run (the code path used is pure Python)."""
import os
import subprocess
import sys
import time

import h5py

from compare_dials import frames_and_geometry, write_smv


def stills_process(folder, sim, cell, space_group="C2"):
    """Runs stills_process (one core) in folder on sim's frames; returns (output folder, wall seconds, the
    environment that imports DIALS's modules)."""
    with h5py.File(sim, "r") as f:
        frames, pixel_mm, distance_mm, centre, gain, wavelength = frames_and_geometry(f)
    smv = os.path.join(folder, "smv")
    os.makedirs(smv, exist_ok=True)
    names = write_smv(smv, frames, pixel_mm, distance_mm, wavelength, (centre[0] + 0.5, centre[1] + 0.5))
    stub = os.path.join(folder, "stub")
    os.makedirs(stub, exist_ok=True)
    open(os.path.join(stub, "xfel_mono_sim_ext.py"), "w").close()
    out = os.path.join(folder, "dials_out")
    os.makedirs(out, exist_ok=True)
    phil = os.path.join(folder, "stills.phil")
    with open(phil, "w") as f:
        f.write(f"""spotfinder.threshold.dispersion.gain={gain}
spotfinder.filter.min_spot_size=2
indexing.known_symmetry.space_group={space_group}
indexing.known_symmetry.unit_cell={','.join(map(str, cell))}
integration.integrator=stills
profile.gaussian_rs.centroid_definition=com
output.output_dir={out}
output.composite_output=False
mp.nproc=1
""")
    env = dict(os.environ, PYTHONPATH=stub + os.pathsep + os.environ.get("PYTHONPATH", ""))
    start = time.perf_counter()
    r = subprocess.run(["dials.stills_process", phil, *names], cwd=folder, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"dials.stills_process failed: {r.stderr[-2000:]}")
    return out, wall, env
