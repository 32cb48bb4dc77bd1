"""Run only the kernel inside a docker/podman container; nbclient stays on the host.

``options`` builds the ``run`` command line, ``engine`` finds and checks docker or
podman, ``kernel`` is the jupyter_client KernelManager that starts the container,
``cleanup`` makes sure no ``nbtools-*`` container outlives its owner, and ``probe``
inspects an image (used by the preflight check and by ``nbtools doctor``).
"""

from __future__ import annotations
