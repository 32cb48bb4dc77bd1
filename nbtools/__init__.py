"""nbtools: notebook hygiene and CI toolkit (strip, scan, pair/sync, run)."""

from __future__ import annotations

__version__ = "0.1.0"
