"""Writes core/tests/fixtures/three_rows.parquet with pyarrow (the reference writer),
so the manifest's row counting is tested on a file the real tools made.

    /path/to/venv/bin/python tools/reference/core/make_parquet_fixture.py
"""
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

out = Path(__file__).resolve().parents[3] / "core/tests/fixtures/three_rows.parquet"
table = pa.table({"text": ["en", "to", "tre"], "audio_size": [16000, 32000, 48000]})
pq.write_table(table, out, row_group_size=2)
print(out, out.stat().st_size, "bytes")
