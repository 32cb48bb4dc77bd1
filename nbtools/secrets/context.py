"""Secrets without a prefix, found by how notebooks pass them (filled in below)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbtools.secrets.ruledef import SecretRule

CONTEXT_RULES: tuple[SecretRule, ...] = ()
