"""The kernel client nbclient talks to: a ready check without a silence wait, liveness
from the kernel process itself.

jupyter_client's ``wait_for_ready`` ends by waiting until IOPub has been silent for
0.2 s, a fixed cost on every kernel. The check here is the same handshake without that
wait: a ``kernel_info`` reply on the shell channel proves the kernel answers, and one
IOPub message (the welcome or the status of that request) proves our subscription is
connected, which is what the silence wait was for. Leftover IOPub messages are harmless:
nbclient only takes messages whose parent is the request it sent.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtools.execute.process import StartedKernel


def make_client(kernel: StartedKernel) -> Any:
    """An ``AsyncKernelClient`` for ``kernel`` whose liveness is the process's."""
    from jupyter_client.asynchronous.client import AsyncKernelClient

    class _Client(AsyncKernelClient):  # type: ignore[misc]
        async def is_alive(self) -> bool:
            return kernel.is_alive()

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            await _wait_for_ready(self, kernel, timeout)

    client = _Client()
    client.load_connection_info(kernel.connection_info)  # type: ignore[arg-type]
    return client


async def _wait_for_ready(client: Any, kernel: StartedKernel, timeout: float | None) -> None:
    deadline = time.monotonic() + (timeout if timeout is not None else 60.0)
    while True:
        msg_id = client.kernel_info()
        reply = None
        while reply is None:
            try:
                msg = await client.shell_channel.get_msg(timeout=0.05)
            except Empty:
                if not kernel.is_alive():
                    raise RuntimeError("the kernel died during start-up") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("the kernel did not answer in time") from None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                reply = msg
        try:
            await client.iopub_channel.get_msg(timeout=0.2)
        except Empty:
            continue  # IOPub not connected yet (zmq's slow joiner): ask again
        _adapt_protocol(client, reply)
        return


def _adapt_protocol(client: Any, reply: dict[str, Any]) -> None:
    """What jupyter_client does with a ``kernel_info_reply`` in its own ready check (its
    private ``_handle_kernel_info_reply``), through public names: talk the kernel's
    protocol version when its major version is not ours (an old ipykernel in an image)."""
    from jupyter_client.channels import major_protocol_version

    version = str((reply.get("content") or {}).get("protocol_version") or "")
    major = version.split(".", maxsplit=1)[0]
    if major.isdigit() and int(major) != major_protocol_version:
        client.session.adapt_version = int(major)


class ManagerShim:
    """The part of a ``KernelManager`` nbclient uses when it is given a running kernel."""

    has_kernel = True

    def __init__(self, kernel: StartedKernel) -> None:
        self.kernel = kernel
        self.kernel_name = kernel.label

    def client(self) -> Any:
        return make_client(self.kernel)

    def is_alive(self) -> bool:
        return self.kernel.is_alive()

    def interrupt_kernel(self) -> None:
        self.kernel.interrupt()
