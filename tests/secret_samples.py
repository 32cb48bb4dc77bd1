"""Fake credentials built from a provider rule's ``sample`` template, for the tests.

A template names its random fields: ``{h32}`` is 32 hex digits, ``{a36}`` 36 letters and
digits (``_ALPHABETS`` below), ``{discord}`` and ``{bech58}`` two shapes with structure.
Every value is FAKE and made at run time, so no scanner flags the test files.
"""

from __future__ import annotations

import base64
import random
import re
import string

from nbtools.secrets.ruledef import SecretRule

_ALPHABETS = {
    "h": "0123456789abcdef",
    "a": string.ascii_letters + string.digits,
    "l": string.ascii_lowercase + string.digits,
    "u": string.ascii_uppercase + string.digits,
    "d": string.digits,
    "b": string.ascii_letters + string.digits + "+/",
    "w": string.ascii_letters + string.digits + "_-",
    "L": string.ascii_letters,
    "z": string.ascii_lowercase + "234567",
}
_FIELD = re.compile(r"\{([halubdwLz])(\d+)\}|\{(discord|bech58)\}")
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l".upper()


def expand(sample: str, seed: str, shape: str = "random") -> str:
    """The sample with each field filled: ``random`` (format-correct), ``placeholder``
    (every character ``x``) or ``short`` (a third of the length)."""
    rng = random.Random(seed)

    def field(match: re.Match[str]) -> str:
        kind, size, special = match.group(1), match.group(2), match.group(3)
        if special == "discord":
            bot_id = str(rng.randrange(10**17, 10**18))
            head = base64.urlsafe_b64encode(bot_id.encode()).decode().rstrip("=")
            if shape == "placeholder":
                head = "x" * len(head)
            tail = "".join(rng.choice(_ALPHABETS["w"]) for _ in range(38))
            return f"{head}.{tail[:6]}.{tail if shape != 'short' else tail[:9]}"
        if special == "bech58":
            n = 58 if shape != "short" else 19
            return (
                "".join(rng.choice(_BECH32) for _ in range(n))
                if shape != "placeholder"
                else ("X" * 58)
            )
        n = int(size)
        if shape == "short":
            n = max(1, n // 3)
        if shape == "placeholder":
            return "x" * n
        return "".join(rng.choice(_ALPHABETS[kind]) for _ in range(n))

    return _FIELD.sub(field, sample)


def in_context(rule: SecretRule, text: str) -> str:
    """Bare tokens go into a neutral line of code; keyed samples carry their own name."""
    if rule.ignore_case or any(ch in rule.sample for ch in "=(") or "://" in rule.sample:
        return text
    return f'value = "{text}"'
