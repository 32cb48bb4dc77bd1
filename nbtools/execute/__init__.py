"""Executing notebooks on fresh kernels (the engine behind ``nbtools run``).

``kernels`` starts kernels (pluggable through a :data:`~nbtools.execute.kernels.KernelFactory`),
``forkserver`` is the fast path for local Python kernels, ``executor`` runs one notebook,
``scheduler`` runs many in parallel, ``shard`` splits a collection for a CI matrix and
``html`` renders executed notebooks for CI artifacts.
"""

from __future__ import annotations
