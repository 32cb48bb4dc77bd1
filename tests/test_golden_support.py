"""The golden normaliser: each machine-dependent spelling maps to one form, and nothing else
changes (a rule that ate real output would hide a regression in every golden)."""

from __future__ import annotations

import pytest
from golden_support import Normaliser


@pytest.mark.parametrize(
    "printed",
    [
        "/bin/bash: line 1: nbtools-absent: command not found",
        "/usr/bin/sh: 1: nbtools-absent: not found",
        "sh: 1: nbtools-absent: not found",
        "/bin/zsh: line 1: nbtools-absent: command not found",
    ],
)
def test_each_shells_missing_command_line_reads_the_same(printed: str) -> None:
    text = f'"text": "{printed}\\r\\n"'
    assert Normaliser()(text) == '"text": "<shell>: nbtools-absent: command not found\\r\\n"'


def test_a_python_error_that_says_not_found_is_left_as_it_is() -> None:
    text = "FileNotFoundError: data/absent.csv: not found"
    assert Normaliser()(text) == text
