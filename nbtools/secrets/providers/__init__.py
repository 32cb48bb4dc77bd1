"""Provider credential rules, one row each, written from the providers' documented formats.

One module per family of providers (payments, messaging, AI, ...), each a tuple ``RULES``
of rows built by :mod:`nbtools.secrets.providers.rows`. They are put together here in a
fixed order, which is the table's order: the engine breaks ties between overlapping hits by
priority and then by that order (``tests/test_secrets_table.py`` pins it).

Every row carries the provider (findings say where to rotate) and a ``sample``: the
documented shape as a fake template that the tests expand (``{h32}`` = 32 hex digits; see
``tests/secret_samples.py``), so that each rule is tested against its own format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.secrets.providers import (
    ai,
    cloud,
    data_apis,
    databases,
    devtools,
    messaging,
    observability,
    payments,
    secret_stores,
    social,
    workspace,
)

if TYPE_CHECKING:
    from nbtools.secrets.ruledef import SecretRule

PROVIDER_RULES: tuple[SecretRule, ...] = (
    *payments.RULES,
    *messaging.RULES,
    *ai.RULES,
    *workspace.RULES,
    *devtools.RULES,
    *cloud.RULES,
    *secret_stores.RULES,
    *databases.RULES,
    *observability.RULES,
    *social.RULES,
    *data_apis.RULES,
)
