"""Git's long-running filter protocol: pkt-lines, negotiation, serving, and the real process."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from nbtools.gitfilter import (
    FLUSH,
    MAX_PAYLOAD,
    ProtocolError,
    encode_content,
    encode_pkt,
    encode_text,
    handshake,
    parse_keys,
    read_content,
    read_pkt,
    read_text,
    serve,
)

HELLO = encode_text(["git-filter-client", "version=2"])
CAPS = encode_text(["capability=clean", "capability=smudge", "capability=delay"])


def request(command: str, pathname: str, content: bytes) -> bytes:
    return encode_text([f"command={command}", f"pathname={pathname}"]) + encode_content(content)


def packets(data: bytes) -> list[object]:
    """Decode a whole stream: payloads as bytes, flushes as None."""
    stream = io.BytesIO(data)
    out: list[object] = []
    while True:
        try:
            out.append(read_pkt(stream))
        except EOFError:
            return out


@pytest.mark.parametrize(
    ("payload", "encoded"),
    [
        (b"a", b"0005a"),
        (b"git-filter-server\n", b"0016git-filter-server\n"),
        (b"x" * 0xFFF, b"1003" + b"x" * 0xFFF),
    ],
)
def test_encode_pkt(payload: bytes, encoded: bytes) -> None:
    assert encode_pkt(payload) == encoded
    assert read_pkt(io.BytesIO(encoded)) == payload


@pytest.mark.parametrize("payload", [b"", b"x" * (MAX_PAYLOAD + 1)])
def test_encode_pkt_refuses_what_git_cannot_read(payload: bytes) -> None:
    with pytest.raises(ValueError, match="payload"):
        encode_pkt(payload)


@pytest.mark.parametrize(
    ("stream", "error"),
    [
        (b"00", "truncated pkt-line header"),
        (b"zzzz", "invalid pkt-line header"),
        (b"0002", "invalid pkt-line length"),
        (b"0009ab", "truncated pkt-line payload"),
    ],
)
def test_read_pkt_rejects_malformed_input(stream: bytes, error: str) -> None:
    with pytest.raises(ProtocolError, match=error):
        read_pkt(io.BytesIO(stream))


def test_read_pkt_flush_and_end_of_input() -> None:
    stream = io.BytesIO(FLUSH)
    assert read_pkt(stream) is None
    with pytest.raises(EOFError):
        read_pkt(stream)


@pytest.mark.parametrize(
    "size", [0, 1, MAX_PAYLOAD - 1, MAX_PAYLOAD, MAX_PAYLOAD + 1, 3 * MAX_PAYLOAD + 17]
)
def test_content_round_trip_splits_at_the_packet_limit(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    encoded = encode_content(data)
    expected_packets = -(-size // MAX_PAYLOAD)  # ceil
    assert encoded.count(b"fff0") == size // MAX_PAYLOAD  # full packets carry 0xfff0 bytes
    assert len(packets(encoded)) == expected_packets + 1  # and a flush
    assert read_content(io.BytesIO(encoded)) == data


def test_text_lines_lose_their_newline_and_parse_as_keys() -> None:
    lines = read_text(io.BytesIO(encode_text(["command=clean", "pathname=a=b.ipynb"])))
    assert lines == ["command=clean", "pathname=a=b.ipynb"]
    assert parse_keys(lines) == {"command": "clean", "pathname": "a=b.ipynb"}


def test_content_cut_short_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="inside file content"):
        read_content(io.BytesIO(encode_pkt(b"half")))


def test_handshake_answers_only_shared_capabilities() -> None:
    out = io.BytesIO()
    agreed = handshake(io.BytesIO(HELLO + CAPS), out, ["clean", "smudge", "delay-never"])
    assert agreed == ["clean", "smudge"]
    assert packets(out.getvalue()) == [
        b"git-filter-server\n",
        b"version=2\n",
        None,
        b"capability=clean\n",
        b"capability=smudge\n",
        None,
    ]


@pytest.mark.parametrize(
    ("hello", "error"),
    [
        (encode_text(["git-filter-other", "version=2"]), "expected git-filter-client"),
        (encode_text(["git-filter-client", "version=3"]), "no supported protocol version"),
    ],
)
def test_handshake_refuses_other_clients(hello: bytes, error: str) -> None:
    with pytest.raises(ProtocolError, match=error):
        handshake(io.BytesIO(hello + CAPS), io.BytesIO(), ["clean"])


def test_serve_answers_each_request_and_keeps_going_after_errors() -> None:
    def upper(command: str, pathname: str, content: bytes) -> bytes:
        if pathname == "bad.ipynb":
            raise RuntimeError("boom")
        return content.upper()

    errors: list[str] = []
    big = b"q" * (MAX_PAYLOAD + 10)
    inp = io.BytesIO(
        HELLO
        + CAPS
        + request("clean", "a.ipynb", b"abc")
        + request("smudge", "b.ipynb", b"not offered")
        + request("clean", "bad.ipynb", b"x")
        + request("clean", "big.ipynb", big)
        + request("clean", "empty.ipynb", b"")
    )
    out = io.BytesIO()
    session = serve(inp, out, {"clean": upper}, lambda path, exc: errors.append(f"{path}: {exc}"))
    assert session.capabilities == ["clean"]
    assert session.served == {"clean": 3}
    assert errors == ["bad.ipynb: boom"]
    replies = packets(out.getvalue())[5:]  # after the handshake
    success = [b"status=success\n", None]
    assert replies == [
        *success, b"ABC", None, None,
        b"status=error\n", None,  # smudge was never negotiated
        b"status=error\n", None,
        *success, b"Q" * MAX_PAYLOAD, b"Q" * 10, None, None,
        *success, None, None,  # empty content: no data packets at all
    ]  # fmt: skip


def nb_bytes(outputs: bool) -> bytes:
    output = {"name": "stdout", "output_type": "stream", "text": ["1\n"]}
    cell = {
        "cell_type": "code",
        "execution_count": 1 if outputs else None,
        "metadata": {},
        "outputs": [output] if outputs else [],
        "source": ["print(1)"],
    }
    nb = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}
    return (json.dumps(nb, indent=1) + "\n").encode()


def malformed_bytes() -> bytes:
    """A notebook whose structure strip trips over: a code cell's metadata is a list."""
    nb = json.loads(nb_bytes(outputs=True))
    nb["cells"][0]["metadata"] = ["not", "a", "dict"]
    return json.dumps(nb, indent=1).encode()


def test_real_filter_process_strips_and_passes_broken_files_through(tmp_path: object) -> None:
    """Drive ``nbtools filter --process`` as git would, over real pipes."""
    broken = b'{"cells": [ this is not json'
    conversation = (
        HELLO
        + CAPS
        + request("clean", "dirty.ipynb", nb_bytes(outputs=True))
        + request("clean", "clean.ipynb", nb_bytes(outputs=False))
        + request("clean", "broken.ipynb", broken)
        + request("smudge", "dirty.ipynb", nb_bytes(outputs=True))
        + request("clean", "malformed.ipynb", malformed_bytes())
        + request("clean", "dirty2.ipynb", nb_bytes(outputs=True))
    )
    proc = subprocess.run(
        [sys.executable, "-m", "nbtools", "filter", "--process"],
        input=conversation,
        capture_output=True,
        cwd=str(tmp_path),
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    stream = io.BytesIO(proc.stdout)
    assert read_text(stream) == ["git-filter-server", "version=2"]
    assert read_text(stream) == ["capability=clean", "capability=smudge"]
    results = []
    for _ in range(6):
        status = read_text(stream)
        results.append((status, read_content(stream), read_text(stream)))
    assert stream.read() == b""  # nothing else on git's pipe
    assert results == [
        (["status=success"], nb_bytes(outputs=False), []),
        (["status=success"], nb_bytes(outputs=False), []),
        (["status=success"], broken, []),
        (["status=success"], nb_bytes(outputs=True), []),  # smudge changes nothing
        (["status=success"], malformed_bytes(), []),  # stored as it is, not status=error
        (["status=success"], nb_bytes(outputs=False), []),  # and the process goes on
    ]
    assert b"broken.ipynb: invalid JSON" in proc.stderr
    assert b"malformed.ipynb: /cells/0/metadata: expected an object" in proc.stderr
    assert b"internal error" not in proc.stderr
    assert proc.stderr.count(b"passed to git unchanged") == 2
