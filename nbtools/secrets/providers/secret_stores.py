"""Provider rows: secret stores and infrastructure-as-code services.

HashiCorp Vault, Pulumi, Doppler, 1Password, age.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.secrets.providers.rows import prefixed

if TYPE_CHECKING:
    from nbtools.secrets.ruledef import SecretRule

RULES: tuple[SecretRule, ...] = (
    prefixed(
        "vault-token",
        "HashiCorp Vault",
        "HashiCorp Vault token",
        r"hv[sbr]\.[A-Za-z0-9_\-]{90,300}",
        ("hvs.", "hvb.", "hvr."),
        "hvs.{w95}",
    ),
    prefixed(
        "pulumi-token", "Pulumi", "Pulumi access token", r"pul-[a-f0-9]{40}", ("pul-",), "pul-{h40}"
    ),
    prefixed(
        "doppler-personal-token",
        "Doppler",
        "Doppler personal token",
        r"dp\.pt\.[A-Za-z0-9]{40,44}",
        ("dp.pt.",),
        "dp.pt.{a43}",
    ),
    prefixed(
        "doppler-cli-token",
        "Doppler",
        "Doppler CLI token",
        r"dp\.ct\.[A-Za-z0-9]{40,44}",
        ("dp.ct.",),
        "dp.ct.{a43}",
    ),
    prefixed(
        "doppler-service-token",
        "Doppler",
        "Doppler service token",
        r"dp\.st\.(?:[a-z0-9\-_]{2,35}\.)?[A-Za-z0-9]{40,44}",
        ("dp.st.",),
        "dp.st.prd.{a43}",
    ),
    prefixed(
        "doppler-service-account-token",
        "Doppler",
        "Doppler service account token",
        r"dp\.sa\.[A-Za-z0-9]{40,44}",
        ("dp.sa.",),
        "dp.sa.{a43}",
    ),
    prefixed(
        "doppler-scim-token",
        "Doppler",
        "Doppler SCIM token",
        r"dp\.scim\.[A-Za-z0-9]{40,44}",
        ("dp.scim.",),
        "dp.scim.{a43}",
    ),
    prefixed(
        "doppler-audit-token",
        "Doppler",
        "Doppler audit token",
        r"dp\.audit\.[A-Za-z0-9]{40,44}",
        ("dp.audit.",),
        "dp.audit.{a43}",
    ),
    prefixed(
        "onepassword-service-token",
        "1Password",
        "1Password service account token",
        r"ops_eyJ[A-Za-z0-9+/]{250,}={0,3}",
        ("ops_eyJ",),
        "ops_eyJ{b260}",
    ),
    prefixed(
        "onepassword-secret-key",
        "1Password",
        "1Password account secret key",
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}"
        r"-[A-Z0-9]{5}",
        ("A3-",),
        "A3-{u6}-{u11}-{u5}-{u5}-{u5}",
    ),
    prefixed(
        "age-secret-key",
        "age",
        "age encryption secret key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        ("AGE-SECRET-KEY-1",),
        "AGE-SECRET-KEY-1{bech58}",
    ),
)
