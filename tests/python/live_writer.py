"""A writer that appends frames to an HDF5 file while a follow test reads it: one frame at a time, in SWMR mode
("swmr", the file in HDF5's latest format) or with a plain flush after each frame ("flush", the oldest format,
which cannot be SWMR-written)."""
import os
import subprocess
import sys
import time

import h5py
import numpy as np

DATA = "/entry_1/data_1/data"
MASK = "/entry_1/instrument_1/detector_1/mask"


def start_live_writer(path, frames, mode, mask=None, compression=None, pause=0.03):
    """Starts the writer of `frames` [n, y, x] (and a detector `mask`) into `path`; returns its Popen once the
    file exists with an empty, growable data set."""
    path = str(path)
    np.save(path + ".frames.npy", frames)
    if mask is not None:
        np.save(path + ".mask.npy", mask)
    writer = subprocess.Popen([sys.executable, __file__, path, mode, str(compression), str(pause)],
                              stdout=subprocess.PIPE, text=True, env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE"))
    assert writer.stdout.readline().strip() == "ready"
    return writer


def _write(path, mode, compression, pause):
    swmr = mode == "swmr"
    frames = np.load(path + ".frames.npy")
    n, ny, nx = frames.shape
    f = h5py.File(path, "w", libver="latest" if swmr else "earliest")
    if os.path.exists(path + ".mask.npy"):
        f.create_dataset(MASK, data=np.load(path + ".mask.npy"))
    d = f.create_dataset(DATA, shape=(0, ny, nx), maxshape=(None, ny, nx), chunks=(1, ny, nx), dtype=frames.dtype,
                         compression=None if compression == "None" else compression)
    if swmr:
        f.swmr_mode = True
    print("ready", flush=True)
    for i in range(n):
        d.resize(i + 1, axis=0)
        d[i] = frames[i]
        d.flush() if swmr else f.flush()
        time.sleep(pause)
    f.close()


if __name__ == "__main__":
    _write(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]))
