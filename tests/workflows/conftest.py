"""The user-story tier: each test is a story a user lives through (helpers in ``story.py``).

Every test in this folder is marked ``story`` (``pytest -m story``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.story)
