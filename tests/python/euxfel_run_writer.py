"""Writes synthetic European XFEL run directories for tests, following the facility's published HDF5 data format
(EXDF; version 1.3 by default, also 1.1's inverted INDEX/flag and 0.5's first/last/status index without a
version or flag): one file per module and sequence, RAW-R0042-AGIPD{mm}-S{sssss}.h5, each with METADATA,
INDEX/trainId (zero-padded), INDEX/flag, INDEX/<source>/image/{first, count} and
INSTRUMENT/<source>/image/{data [frames, 2, ss, fs] uint16 (data and gain planes), trainId, pulseId, cellId},
one frame per deflate chunk, as the DAQ writes AGIPD.

The run is described by a `model`: which (train, pulse) each module recorded, and the pixel values are a known
function of them, so a test can build the expected stack with numpy without reading the files."""
import os

import h5py
import numpy as np

DETECTOR = "SPB_DET_AGIPD1M-1"
SS, FS = 32, 32


def source(module):
    return f"{DETECTOR}/DET/{module}CH0:xtdf"


def frame_values(module, train, pulse):
    """Data plane of one module image: a low background plus a bright 2x2 spot that moves with the event."""
    yy, xx = np.mgrid[0:SS, 0:FS]
    img = 10 + (yy * 3 + xx + module + train + pulse) % 7
    cy, cx = 4 + (train * 5 + pulse) % (SS - 9), 4 + (module * 3 + pulse) % (FS - 9)
    img[cy:cy + 2, cx:cx + 2] += 3000
    return img.astype(np.uint16)


def gain_values(module, pulse):
    return np.full((SS, FS), (module + pulse) % 3, np.uint16)


def default_model(modules=16, sequences=3, trains_per_sequence=4, pulses=(0, 4, 8, 12, 16)):
    """{module: {sequence: [(train, [pulses])]}} with a module missing for a train (count 0 in the INDEX), a
    train absent from one module's INDEX, and a dropped pulse."""
    model = {}
    for m in range(modules):
        model[m] = {}
        for s in range(sequences):
            entries = []
            for t in range(1000 + s * trains_per_sequence, 1000 + (s + 1) * trains_per_sequence):
                p = list(pulses)
                if m == 5 and t == 1002:
                    p = []  # module 5 recorded nothing in train 1002
                if m == 2 and t == 1005:
                    p.remove(8)  # a dropped pulse
                if m == 9 and t == 1006:
                    continue  # train 1006 is not in module 9's INDEX at all
                entries.append((t, p))
            model[m][s] = entries
    return model


def write_run(folder, model, invalid=(1009,), version="1.3", pad=2):
    os.makedirs(folder, exist_ok=True)
    for m, sequences in model.items():
        for s, entries in sequences.items():
            path = os.path.join(folder, f"RAW-R0042-AGIPD{m:02d}-S{s:05d}.h5")
            trains = [t for t, _ in entries]
            counts = [len(p) for _, p in entries]
            first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.uint64)
            frames = int(sum(counts))
            data = np.zeros((frames, 2, SS, FS), np.uint16)
            tid, pid, cid = (np.zeros(frames, np.uint64) for _ in range(3))
            k = 0
            for t, pulses in entries:
                for p in pulses:
                    data[k, 0] = frame_values(m, t, p)
                    data[k, 1] = gain_values(m, p)
                    tid[k], pid[k], cid[k] = t, p, p // 4 + 1
                    k += 1
            with h5py.File(path, "w") as f:
                src = source(m)
                if version != "0.5":
                    f.create_dataset("METADATA/dataFormatVersion", data=[version.encode()],
                                     dtype=h5py.string_dtype("ascii"))
                    f.create_dataset("METADATA/dataSources/dataSourceId",
                                     data=[f"INSTRUMENT/{src}/image".encode()], dtype=h5py.string_dtype("ascii"))
                padded = np.zeros(len(trains) + pad, np.uint64)
                padded[:len(trains)] = trains
                f["INDEX/trainId"] = padded
                if version != "0.5":
                    good = np.array([t not in invalid for t in trains] + [False] * pad)
                    # 1.0 and 1.2+: 1 marks a valid train; 1.1 stored an index there, 0 for a valid train.
                    f["INDEX/flag"] = (~good if version == "1.1" else good).astype(np.int32)
                    f[f"INDEX/{src}/image/first"] = np.concatenate([first, np.zeros(pad, np.uint64)])
                    f[f"INDEX/{src}/image/count"] = np.array(counts + [0] * pad, np.uint64)
                else:
                    f[f"INDEX/{src}/image/first"] = np.concatenate([first, np.zeros(pad, np.uint64)])
                    last = first.astype(np.int64) + np.array(counts) - 1
                    f[f"INDEX/{src}/image/last"] = np.concatenate([np.maximum(last, 0), np.zeros(pad)]).astype(np.uint64)
                    f[f"INDEX/{src}/image/status"] = np.array([int(c > 0) for c in counts] + [0] * pad, np.uint64)
                img = f"INSTRUMENT/{src}/image/"
                f.create_dataset(img + "data", data=data, chunks=(1, 2, SS, FS) if frames else None,
                                 compression="gzip" if frames else None, compression_opts=1 if frames else None)
                f[img + "trainId"] = tid
                f[img + "pulseId"] = pid.reshape(-1, 1)  # the DAQ writes [frames, 1]
                f[img + "cellId"] = cid.astype(np.uint16).reshape(-1, 1)
    return folder


def expected_stack(model, invalid=(1009,), trains=None, pulses=None):
    """The stack a reader must give: frames of valid trains in train order, then pulse order; the union of the
    modules' pulses; missing module images 0."""
    modules = len(model)
    recorded = {}  # train -> {module: set(pulses)}
    for m, sequences in model.items():
        for entries in sequences.values():
            for t, p in entries:
                if t in invalid or not p:
                    continue
                recorded.setdefault(t, {})[m] = set(p)
    keep_t = (lambda t: True) if trains is None else (lambda t: trains[0] <= t < trains[1])
    keep_p = (lambda p: True) if pulses is None else (lambda p: pulses[0] <= p < pulses[1])
    data, gain, tids, pids, cids, missing = [], [], [], [], [], []
    for t in sorted(x for x in recorded if keep_t(x)):
        union = sorted({p for ps in recorded[t].values() for p in ps if keep_p(p)})
        for p in union:
            frame = np.zeros((modules, SS, FS), np.uint16)
            g = np.zeros((modules, SS, FS), np.uint16)
            miss = np.ones(modules, np.uint8)
            for m in range(modules):
                if p in recorded[t].get(m, ()):
                    frame[m], g[m], miss[m] = frame_values(m, t, p), gain_values(m, p), 0
            data.append(frame), gain.append(g), tids.append(t), pids.append(p), cids.append(p // 4 + 1)
            missing.append(miss)
    return dict(data=np.array(data), gain=np.array(gain), trainId=np.array(tids, np.uint64),
                pulseId=np.array(pids, np.uint64), cellId=np.array(cids, np.uint16), missing=np.array(missing))


def agipd_like_geom(path, modules=16):
    """A CrystFEL geometry of the modules stacked along ss (min_ss = module * SS), laid out 4 x 4 around the beam."""
    lines = ["res = 5000", "clen = 0.2", "photon_energy = 9300"]
    for m in range(modules):
        row, col = divmod(m, 4)
        name = f"p{m}"
        lines += [f"{name}/min_fs = 0", f"{name}/max_fs = {FS - 1}", f"{name}/min_ss = {m * SS}",
                  f"{name}/max_ss = {m * SS + SS - 1}", f"{name}/fs = +1x", f"{name}/ss = +1y",
                  f"{name}/corner_x = {(col - 2) * (FS + 4) + 2.0}", f"{name}/corner_y = {(row - 2) * (SS + 4) + 2.0}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
