"""Hidden-state analysis: why a notebook does not reproduce on a fresh kernel.

``static`` reads the stored notebook only (execution counts, def-use order),
``compare`` matches stored outputs with fresh ones, and ``verdict`` combines both
with one or two fresh runs (:mod:`nbtools.runs`) into one verdict per notebook.
Importing this package stays cheap: no kernel or nbformat machinery is loaded.
"""

from __future__ import annotations
