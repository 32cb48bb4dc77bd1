"""IPython syntax rewritten as plain Python for the def-use analysis."""

from __future__ import annotations

import pytest

from nbtools.hidden_state.magics import blank_magics, light_transform, to_python


def test_fallback_blanks_magics() -> None:
    assert blank_magics("%%bash\necho hi\n") == ""
    assert blank_magics("%matplotlib inline\n!ls\nx = 1\n") == "\n\nx = 1\n"


LIGHT_CASES = [
    "%time y = f()\nx = 1\n",
    "%%time\nz = 2\nprint(z)\n",
    "files = !ls\n!echo hi\nobj?\n",
    "%%bash\necho $x\n",
    "%run foo.py\n",
    "%%capture out\nprint(1)\n",
    "for i in range(2):\n    !echo {i}\n",
    "a, b = %who_ls\n",
    "x.y?\n",
    "x = 1  # why?\n",
    "%%timeit -n1\nsum(range(3))\n",
    "\n  \n%%bash\necho $x\n",
]


@pytest.mark.parametrize("source", LIGHT_CASES)
def testlight_transform_matches_ipython(source: str) -> None:
    """The fast path rewrites IPython syntax exactly as IPython's own transformer does."""
    from IPython.core.inputtransformer2 import TransformerManager

    assert light_transform(source) == TransformerManager().transform_cell(source)


def test_unusual_syntax_goes_through_ipython() -> None:
    # an indented first line is beyond the light pass; IPython's transformer handles it
    assert (
        to_python("  %matplotlib inline\n")
        == "get_ipython().run_line_magic('matplotlib', 'inline')\n"
    )
    assert to_python("x = 1\n") == "x = 1\n"  # plain Python is left alone
