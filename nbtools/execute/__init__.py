"""Executing notebooks on fresh kernels (the engine behind ``nbtools run``).

``pipeline`` is the run from paths to a report (``settings`` its typed options, ``outcome``
a notebook's verdict and entry, ``runfindings``, ``outputs`` and ``rules`` what it reports).
Kernels: ``process`` is what every way of starting them shares (the
:class:`~nbtools.execute.process.KernelFactory` protocol), ``kernels`` the local factory,
``specs`` reads kernelspecs, ``direct``, ``forkserver`` and ``managed`` start kernels,
``runkernels`` chooses them for a run. ``executor`` runs one notebook (through
``notebookclient`` and ``client``; ``upstream`` guards what they override in nbclient and
jupyter_client), ``scheduler`` many in parallel; ``causes`` says why one failed; ``cache``,
``cachekey`` and ``cacheplan`` serve unchanged results; ``shard`` splits a collection for a
CI matrix and ``html`` renders executed notebooks for CI artifacts.
"""

from __future__ import annotations
