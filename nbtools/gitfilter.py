"""Git's long-running filter protocol (gitattributes(5), "Long Running Filter Process").

One process serves every file of a ``git add`` or ``git status``: git starts
``filter.<driver>.process`` once, and sends each file as a request over pkt-lines
on stdin. Data framing (Documentation/technical/protocol-common.txt): a packet is a
4-digit hex length that counts itself, then the payload; ``0000`` is a flush packet.

Pure: the streams are passed in, and the work for each file is a callable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Callable, Mapping

from nbtools.errors import NbtoolsError

#: the largest payload git accepts in one packet (LARGE_PACKET_MAX 65520 minus the header)
MAX_PAYLOAD = 65516
FLUSH = b"0000"

#: (command, pathname, content) -> filtered content
Handler = Callable[[str, str, bytes], bytes]


class ProtocolError(NbtoolsError):
    """Git sent something the filter protocol does not allow."""


def read_pkt(stream: IO[bytes]) -> bytes | None:
    """One packet's payload; ``None`` for a flush packet. EOFError at a clean end of input."""
    header = stream.read(4)
    if not header:
        raise EOFError
    if len(header) != 4:
        raise ProtocolError(f"truncated pkt-line header {header!r}")
    try:
        size = int(header, 16)
    except ValueError:
        raise ProtocolError(f"invalid pkt-line header {header!r}") from None
    if size == 0:
        return None
    if size < 4:
        raise ProtocolError(f"invalid pkt-line length {size}")
    payload = stream.read(size - 4)
    if len(payload) != size - 4:
        raise ProtocolError("truncated pkt-line payload")
    return payload


def encode_pkt(payload: bytes) -> bytes:
    """One data packet (the payload must fit, see :data:`MAX_PAYLOAD`)."""
    if not payload or len(payload) > MAX_PAYLOAD:
        raise ValueError(f"pkt-line payload of {len(payload)} bytes")
    return b"%04x" % (len(payload) + 4) + payload


def encode_text(lines: list[str]) -> bytes:
    """Text packets (each ending with LF, as git writes them) and a flush."""
    return b"".join(encode_pkt(line.encode("utf-8") + b"\n") for line in lines) + FLUSH


def encode_content(data: bytes) -> bytes:
    """Content split into packets, then a flush."""
    view = memoryview(data)
    parts = [encode_pkt(bytes(view[i : i + MAX_PAYLOAD])) for i in range(0, len(data), MAX_PAYLOAD)]
    parts.append(FLUSH)
    return b"".join(parts)


def read_text(stream: IO[bytes]) -> list[str]:
    """Text packets up to the next flush, without their trailing LF."""
    lines: list[str] = []
    while True:
        pkt = read_pkt(stream)
        if pkt is None:
            return lines
        text = pkt.decode("utf-8", errors="surrogateescape")
        lines.append(text[:-1] if text.endswith("\n") else text)


def read_content(stream: IO[bytes]) -> bytes:
    """Content packets up to the next flush, joined."""
    chunks: list[bytes] = []
    while True:
        try:
            pkt = read_pkt(stream)
        except EOFError:
            raise ProtocolError("input ended inside file content") from None
        if pkt is None:
            return b"".join(chunks)
        chunks.append(pkt)


def parse_keys(lines: list[str]) -> dict[str, str]:
    """``key=value`` lines as a dict (the last value of a repeated key wins)."""
    return dict(line.partition("=")[::2] for line in lines)


@dataclass
class Session:
    """What was negotiated and served; returned for tests and logging."""

    capabilities: list[str] = field(default_factory=list)
    served: dict[str, int] = field(default_factory=dict)  # command -> files


def handshake(inp: IO[bytes], out: IO[bytes], capabilities: list[str]) -> list[str]:
    """Version and capability negotiation; returns the capabilities both sides have."""
    welcome = read_text(inp)
    if not welcome or welcome[0] != "git-filter-client":
        raise ProtocolError(f"expected git-filter-client, got {welcome[:1]!r}")
    if "version=2" not in welcome[1:]:
        raise ProtocolError(f"git offers no supported protocol version ({welcome[1:]!r})")
    out.write(encode_text(["git-filter-server", "version=2"]))
    out.flush()
    offered = {line[len("capability=") :] for line in read_text(inp)}
    agreed = [c for c in capabilities if c in offered]
    out.write(encode_text([f"capability={c}" for c in agreed]))
    out.flush()
    return agreed


def serve(
    inp: IO[bytes],
    out: IO[bytes],
    handlers: Mapping[str, Handler],
    on_error: Callable[[str, BaseException], None] | None = None,
) -> Session:
    """Answer git's requests until it closes our stdin.

    A handler that raises gets ``status=error`` for that file (git then fails the
    command if the filter is ``required``, else uses the file as it is); the
    process keeps serving the next files.
    """
    session = Session(capabilities=handshake(inp, out, list(handlers)))
    while True:
        try:
            keys = parse_keys(read_text(inp))
        except EOFError:
            return session
        command = keys.get("command", "")
        pathname = keys.get("pathname", "")
        content = read_content(inp)
        handler = handlers.get(command)
        if handler is None:
            out.write(encode_text(["status=error"]))
            out.flush()
            continue
        try:
            result = handler(command, pathname, content)
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop git add
            if on_error is not None:
                on_error(pathname, exc)
            out.write(encode_text(["status=error"]))
            out.flush()
            continue
        # status, the content, then an empty list that keeps "status=success"
        out.write(encode_text(["status=success"]) + encode_content(result) + FLUSH)
        out.flush()
        session.served[command] = session.served.get(command, 0) + 1
