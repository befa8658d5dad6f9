"""A large pump-probe stack for the dashboard's browser test at little disk cost: a virtual dataset that tiles
one small simulated stack COPIES x COPIES times across the detector, so that `xpulse fit` works long enough
(seconds, on one thread) for the dashboard to show its progress.

usage: make_tiled_stack.py SOURCE.h5 OUT.h5 COPIES"""
import sys

import h5py

source, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
with h5py.File(source, "r") as f:
    data = f["/entry_1/data_1/data"]
    shape, dtype = data.shape, data.dtype
    delays = f["/entry_1/data_1/delay"][()]
    delay_units = f["/entry_1/data_1/delay"].attrs.get("units", "ps")
layout = h5py.VirtualLayout(shape=(shape[0], shape[1] * copies, shape[2] * copies), dtype=dtype)
tile = h5py.VirtualSource(source, "/entry_1/data_1/data", shape=shape)
for i in range(copies):
    for j in range(copies):
        layout[:, i * shape[1]:(i + 1) * shape[1], j * shape[2]:(j + 1) * shape[2]] = tile
with h5py.File(out, "w") as f:
    f.create_virtual_dataset("/entry_1/data_1/data", layout)
    f["/entry_1/data_1/delay"] = delays
    f["/entry_1/data_1/delay"].attrs["units"] = delay_units
