"""Make a larger CoRal-format input for benchmarking by repeating the mini test corpus.

Writes <out>/read_aloud/train-0000K-of-0000N.parquet, each shard holding the mini corpus's
train rows repeated (ids made unique), so both pipelines read identical bytes.

    python bench/data/make_input.py --out /tmp/coral-bench --shards 4 --repeat 10
"""

import argparse
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=10, help="copies of the mini corpus train split per shard")
    args = parser.parse_args()
    demo = pq.read_table(ROOT / "data/tests/fixtures/coral-mini/read_aloud/train-00000-of-00001.parquet")
    out = args.out / "read_aloud"
    out.mkdir(parents=True, exist_ok=True)
    for shard in range(args.shards):
        copies = []
        for r in range(args.repeat):
            ids = pc.binary_join_element_wise(demo["id_recording"], pa.scalar(f"_{shard}_{r}"), "")
            copies.append(demo.set_column(0, "id_recording", ids))
        table = pa.concat_tables(copies)
        pq.write_table(table, out / f"train-{shard:05d}-of-{args.shards:05d}.parquet", row_group_size=100)
    print(f"{args.shards} shards x {len(demo) * args.repeat} rows in {out}")


if __name__ == "__main__":
    main()
