"""Build ``calibration/costs/output_per_value_added.csv`` from ../shared/data (never read at run
time): gross output per unit of value added of each model sector, from the NBS 2018
input-output table (GO / TVA of the sector's IO codes, ``calibration.build.IO_CODES``).

It is the scale of a value-added sector's cost of production per unit of activity (1e9 CNY of
value added costs about GO / VA x 1e9 CNY to produce), which the route choice under a carbon price
compares cost differences with (``sim.data.costs``, kernels/SPEC.md step 4). The material sectors
use their own levelised cost of production instead.

    python -m calibration.costs_build [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pandas as pd

from calibration.build import IO_CODES

HERE = Path(__file__).resolve().parent
OUT = HERE / "costs" / "output_per_value_added.csv"
IO_YEAR = 2018


def ratios(data: Path) -> dict[str, float]:
    """Sector -> gross output / total value added [1] of the IO table of :data:`IO_YEAR`."""
    io = pd.read_csv(data / "nbs_national_io_value_added_by_sector.csv", dtype={"io_code": str})
    io = io[io.year == IO_YEAR]
    io["code"] = io.io_code.astype(int)
    table = io.pivot_table(index="code", columns="item", values="value_10k_cny", aggfunc="sum")
    out = {}
    for sector, codes in IO_CODES.items():
        codes = codes or [14]  # iron_steel and nonferrous: metal smelting
        out[sector] = float(table.loc[codes, "GO"].sum() / table.loc[codes, "TVA"].sum())
    return out


def main(argv=None) -> None:
    """Write :data:`OUT` from the IO table in ``--data``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data")
    args = ap.parse_args(argv)
    rows = ratios(args.data)
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["sector", "gross_output_per_value_added", "source"])
        for sector, r in rows.items():
            codes = IO_CODES[sector] or [14]
            w.writerow([sector, f"{r:.4f}", f"NBS input-output table {IO_YEAR} (42 sectors), "
                        f"items GO / TVA summed over IO codes {codes}; "
                        "../shared/data/nbs_national_io_value_added_by_sector.csv"])
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
