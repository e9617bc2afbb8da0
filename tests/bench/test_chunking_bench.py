"""On-disk chunking (#14 §5): reading one province across members, and one member's national
totals, from a national full-detail file written with the current layout (one province per
chunk, ``sim.results.ensemble.CHUNK_LAYOUT = "province"``) and with the layout before it (all provinces
in a chunk of members, ``"member"``), in one run; and what the layout costs when writing.

    python -m pytest tests/bench/test_chunking_bench.py -p no:cacheprovider -s

Each read opens the file afresh (no chunk cache carried over) and is repeated, alternating the
two files, so drift of the shared machine hits both alike; the figure is the median.
SIM_BENCH_MEMBERS sets the members (default 512).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from sim.model import run as model
from sim.results import ensemble, netcdf
from sim.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
MEMBERS = int(os.environ.get("SIM_BENCH_MEMBERS", 512))
ROUNDS = 7


def _write(folder: Path, layout: str, monkeypatch) -> tuple[Path, float]:
    monkeypatch.setattr(ensemble, "CHUNK_LAYOUT", layout)
    sc = load_scenario(REPO / "scenarios" / "national.toml")
    prep = model.prepare(sc, members=MEMBERS, seed=1)
    attrs = netcdf.global_attributes(sc, 1, MEMBERS, command="bench")
    timer: dict = {}
    path = folder / f"national_{layout}.nc"
    ensemble.write_ensemble(prep, path, detail="full", chunk_size=256, attrs=attrs, timer=timer)
    # the writer's own time (appending + compressing), the part the layout can change
    return path, timer["writer_busy"] + timer["writing"]


def _time(fn, path: Path) -> float:
    with netCDF4.Dataset(path) as nc:
        nc.set_auto_mask(False)
        t0 = time.perf_counter()
        fn(nc)
        return time.perf_counter() - t0


def _anhui(nc):  # one province across all members, the biggest variables
    p = [str(x) for x in nc["province"][:]].index("Anhui")  # text decoded (UTF-8 tag)
    for name in ("production", "final_energy", "co2_direct"):
        nc[name][:, p]


def _member_national(nc):  # one member's national totals
    i = MEMBERS // 2
    nc["final_energy"][i].sum(axis=0)
    nc["co2_direct"][i].sum(axis=0)
    nc["industrial_co2"][i, -1]


def _everything(nc):
    for name in ("production", "final_energy", "co2_direct"):
        nc[name][:]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("chunks")
    mp = pytest.MonkeyPatch()
    try:
        _write(folder, "province", mp)  # warm the JIT cache and the page cache of the inputs
        out = {layout: _write(folder, layout, mp) for layout in ("member", "province")}
    finally:
        mp.undo()
    return out


def test_chunking_by_province(files):
    (old, old_write), (new, new_write) = files["member"], files["province"]
    times = {k: {f: [] for f in ("member", "province")} for k in ("anhui", "member", "all")}
    for _ in range(ROUNDS):
        for layout, path in (("member", old), ("province", new)):
            times["anhui"][layout].append(_time(_anhui, path))
            times["member"][layout].append(_time(_member_national, path))
            times["all"][layout].append(_time(_everything, path))
    med = {k: {f: statistics.median(v) for f, v in d.items()} for k, d in times.items()}
    size = {k: files[k][0].stat().st_size / 1e6 for k in files}
    print(f"\nBENCH chunking, national full detail, {MEMBERS} members, median of {ROUNDS}:")
    for k, label in (("anhui", "one province across members (production, final_energy, "
                      "co2_direct)"), ("member", "one member's national totals"),
                     ("all", "the same three variables whole")):
        print(f"BENCH   {label}: before {med[k]['member'] * 1e3:.1f} ms, after "
              f"{med[k]['province'] * 1e3:.1f} ms, ratio {med[k]['member'] / med[k]['province']:.1f}")
    print(f"BENCH   strided province read / whole read: before "
          f"{med['anhui']['member'] / med['all']['member']:.2f}, after "
          f"{med['anhui']['province'] / med['all']['province']:.2f}")
    print(f"BENCH   writing (writer thread + waiting): before {old_write:.1f} s, after "
          f"{new_write:.1f} s; file {size['member']:.0f} MB before, {size['province']:.0f} MB after")
    assert med["anhui"]["member"] / med["anhui"]["province"] > 3  # one of 31 provinces read
    assert med["member"]["province"] < 3 * med["member"]["member"]  # the other way stays cheap
    with netCDF4.Dataset(new) as nc:
        assert nc["production"].chunking()[1] == 1 and nc["industrial_co2"].chunking()[1] == 1
    with netCDF4.Dataset(old) as nc:
        assert nc["production"].chunking()[1] == 31
    with netCDF4.Dataset(old) as a, netCDF4.Dataset(new) as b:  # the layout changes no value
        np.testing.assert_array_equal(a["production"][:], b["production"][:])


ENCODINGS = {
    "zlib 1 + shuffle (today)": dict(zlib=True, complevel=1, shuffle=True),
    "zlib 1, no shuffle": dict(zlib=True, complevel=1, shuffle=False),
    "no compression": dict(zlib=False),
    "zstd 1 + shuffle (plugin)": dict(compression="zstd", complevel=1, shuffle=True),
    "blosc lz4 + shuffle (plugin)": dict(compression="blosc_lz4", complevel=1, blosc_shuffle=1),
}
"""Lossless encodings of the per-member variables of a province-detail file (Fletcher-32 on
all): zlib is what every netCDF-4/HDF5 reader decodes; zstd and blosc need the reader's HDF5
filter plugins (the netCDF4 wheels ship them; h5py needs hdf5plugin, and many CF tools have none)."""


def test_writer_encodings(tmp_path):
    """CPU seconds per 128-member chunk of the writer thread's appends (one chunk of a national
    province-detail run, appended ROUNDS times as ``sim.results.ensemble._append`` does, file
    closed and reopened as the writer does, time to close included) and bytes per member, per
    encoding; values read back identical."""
    sc = load_scenario(REPO / "scenarios" / "national.toml")
    prep = model.prepare(sc, members=128, seed=1)
    ds = model.annotate(model.run_chunk(prep, 0, 128, None, ensemble.needed_variables("province")),
                        prep)
    per_member, _ = ensemble.reduce_chunk(ds, "province")
    arrays = {name: da.transpose("member", ...).values for name, da in per_member.data_vars.items()}
    usable = {label: enc for label, enc in ENCODINGS.items()
              if "compression" not in enc or _has_filter(tmp_path, enc["compression"])}
    cpu = {label: [] for label in usable}
    size = {}
    for _ in range(3):  # alternating, so drift of the shared machine hits every encoding alike
        for label, enc in usable.items():
            path = tmp_path / "enc.nc"
            cpu[label].append(_append_chunks(path, arrays, per_member, enc) / ROUNDS)
            size[label] = path.stat().st_size / (ROUNDS * 128)
            with netCDF4.Dataset(path) as nc:  # lossless: every value back, bit for bit
                for name, values in arrays.items():
                    stored = nc[name][:128]
                    assert np.asarray(stored).tobytes() == values.astype(stored.dtype).tobytes()
    print(f"\nBENCH writer encodings, national province detail, per 128-member chunk (median of 3, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}):")
    base = statistics.median(cpu[next(iter(usable))])
    for label in usable:
        m = statistics.median(cpu[label])
        print(f"BENCH   {label}: {m * 1e3:.0f} ms CPU ({m / base:.2f} of today), "
              f"{size[label] / 1e3:.1f} KB per member")


def _has_filter(folder: Path, compression: str) -> bool:
    with netCDF4.Dataset(folder / "probe.nc", "w") as nc:
        return bool(getattr(nc, f"has_{compression.split('_')[0]}_filter")())


def _append_chunks(path: Path, arrays: dict, per_member, encoding: dict) -> float:
    """Thread CPU seconds of appending ``arrays`` ROUNDS times to a fresh file with ``encoding``
    (float32 where the result file stores it), closing it included."""
    if path.exists():
        path.unlink()
    with netCDF4.Dataset(path, "w") as nc:
        nc.createDimension("member", None)
        for name, values in arrays.items():
            dims = per_member[name].transpose("member", ...).dims
            for d, n in zip(dims[1:], values.shape[1:]):
                if d not in nc.dimensions:
                    nc.createDimension(d, n)
            exact = name in ensemble.EXACT or values.dtype.kind != "f"
            chunks = ensemble.chunk_shape(dims, dict(zip(dims, values.shape)), 128)
            nc.createVariable(name, values.dtype if exact else "f4", dims, chunksizes=chunks,
                              fletcher32=True, **encoding)
    with netCDF4.Dataset(path, "a") as nc:
        for var in nc.variables.values():
            var.set_var_chunk_cache(size=0, nelems=0, preemption=1.0)
        t0 = time.thread_time()
        for r in range(ROUNDS):
            for name, values in arrays.items():
                nc[name][r * 128:(r + 1) * 128] = values
        nc.sync()
        spent = time.thread_time() - t0
    return spent
