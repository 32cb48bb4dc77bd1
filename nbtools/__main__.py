"""``python -m nbtools``: the only place that raises ``SystemExit``."""

from __future__ import annotations

from nbtools.cli import main


def entry() -> None:
    """Console-script entry point."""
    raise SystemExit(main())


if __name__ == "__main__":
    entry()
