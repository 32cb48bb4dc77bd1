"""Notebooks paired with text files through jupytext, and keeping both sides in sync.

``formats`` (pairing formats and where a pairing is recorded), ``jupytext_config`` (the
project's jupytext configuration), ``tree`` (the repository a pair must stay inside),
``find`` (the pairs of a file), ``convert`` (notebook <-> text), ``cellmatch``, ``diff`` and
``merge`` (what changed on which side, and carrying it over), ``plan`` (what a sync does),
``state`` (the sync record) and ``write`` (doing it without losing an edit).
"""
