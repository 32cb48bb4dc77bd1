"""Hidden-state analysis: why a notebook does not reproduce on a fresh kernel.

``static`` reads the stored notebook only: its execution counts, and (through
``names``, over the events ``defuse`` and ``scopes`` draw from each cell's code,
with IPython syntax rewritten by ``magics``) the def-use order of its cells.
``judge`` matches each cell's stored outputs with fresh ones (``compare``),
``explain`` says from the static evidence why a cell's output came from kernel
state, and ``verdict`` weighs it all, with one or two fresh runs
(:mod:`nbtools.runs`), into one :class:`~nbtools.hidden_state.verdict.Verdict` per
notebook. Importing this package stays cheap: no kernel or nbformat machinery is loaded.
"""

from __future__ import annotations
