"""Output layer: atomic file writes and limit-curve formats (CSV, JSON, HEPData, ROOT)."""

from __future__ import annotations

from .atomic import atomic_open, atomic_write_bytes, atomic_write_json, atomic_write_text
from .curves import (
    CSV_HEADER,
    GZ_CSV_HEADER,
    read_limits_csv,
    read_limits_json,
    read_root,
    write_hepdata,
    write_limits_csv,
    write_limits_json,
    write_root,
)

__all__ = [
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "CSV_HEADER",
    "GZ_CSV_HEADER",
    "read_limits_csv",
    "read_limits_json",
    "read_root",
    "write_hepdata",
    "write_limits_csv",
    "write_limits_json",
    "write_root",
]
