"""Shared helper for the fixture generators: reproducible gzip output."""

import gzip
import io
from pathlib import Path


def open_gz_text(path: str | Path) -> io.TextIOWrapper:
    """A UTF-8 text writer to a gzip file with a zero timestamp, so regenerating a fixture
    from the same inputs gives byte-identical output."""
    raw = gzip.GzipFile(filename=str(path), mode="wb", compresslevel=9, mtime=0)
    return io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
