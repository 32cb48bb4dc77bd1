"""Executing notebooks on fresh kernels (the engine behind ``nbtools run``).

``process`` is what every way of starting kernels shares (the :class:`~nbtools.execute.process.KernelFactory` protocol), ``kernels`` the local factory,
``forkserver`` is the fast path for local Python kernels, ``executor`` runs one notebook,
``scheduler`` runs many in parallel, ``shard`` splits a collection for a CI matrix and
``html`` renders executed notebooks for CI artifacts.
"""

from __future__ import annotations
