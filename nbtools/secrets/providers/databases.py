"""Provider rows: databases and data platforms.

Supabase, PlanetScale, MongoDB Atlas, Redis Cloud, Upstash, Aiven, Snowflake, Confluent,
Databricks, ClickHouse.
"""

from __future__ import annotations

from nbtools.findings import Severity
from nbtools.secrets.providers.rows import keyed, prefixed
from nbtools.secrets.ruledef import SecretRule
from nbtools.secrets.tokens import token_validator

RULES: tuple[SecretRule, ...] = (
    prefixed(
        "supabase-token",
        "Supabase",
        "Supabase personal access token",
        r"sbp_[a-f0-9]{40}",
        ("sbp_",),
        "sbp_{h40}",
    ),
    prefixed(
        "supabase-secret-key",
        "Supabase",
        "Supabase secret API key",
        r"sb_secret_[A-Za-z0-9_\-]{31,64}",
        ("sb_secret_",),
        "sb_secret_{w31}",
    ),
    prefixed(
        "planetscale-token",
        "PlanetScale",
        "PlanetScale token or password",
        r"pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.\-]{32,64}",
        ("pscale_",),
        "pscale_tkn_{w43}",
    ),
    prefixed("neon-key", "Neon", "Neon API key", r"napi_[a-z0-9]{64}", ("napi_",), "napi_{l64}"),
    keyed(
        "mongodb-atlas-key",
        "MongoDB Atlas",
        "MongoDB Atlas API private key",
        ("atlas_private", "mongodb_atlas"),
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "MONGODB_ATLAS_PRIVATE_KEY = '{h8}-{h4}-{h4}-{h4}-{h12}'",
    ),
    keyed(
        "redis-cloud-key",
        "Redis Cloud",
        "Redis Cloud API secret",
        ("redis_cloud",),
        r"[A-Za-z0-9]{50,60}",
        "REDIS_CLOUD_API_SECRET = '{a50}'",
    ),
    keyed(
        "upstash-token",
        "Upstash",
        "Upstash REST token",
        ("upstash",),
        r"[A-Za-z0-9_\-=]{40,200}",
        "UPSTASH_REDIS_REST_TOKEN = '{w60}'",
    ),
    keyed(
        "aiven-token",
        "Aiven",
        "Aiven API token",
        ("aiven",),
        r"[A-Za-z0-9+/=]{372}",
        "AIVEN_TOKEN = '{b372}'",
    ),
    SecretRule(
        "scan/snowflake-url-password",
        "Snowflake connection URL with its password",
        r"""snowflake://[^\s:/@'"]{1,64}:(?P<s>[^\s@'"/]{4,128})@[A-Za-z0-9.\-_]+""",
        ("snowflake://",),
        priority=2,
        validate=token_validator(8),
        provider="Snowflake",
        sample="snowflake://analyst:{a16}@acme-xy12345/db",
    ),
    keyed(
        "snowflake-token",
        "Snowflake",
        "Snowflake programmatic access token or password",
        ("snowflake_pat", "snowflake_token", "snowflake_password", "snowsql_pwd"),
        r"[A-Za-z0-9!#%^*_\-+=.]{12,400}",
        "SNOWFLAKE_PASSWORD = '{a20}'",
    ),
    keyed(
        "confluent-secret",
        "Confluent",
        "Confluent Cloud API secret",
        ("confluent",),
        r"[A-Za-z0-9+/]{64}",
        "CONFLUENT_API_SECRET = '{b64}'",
    ),
    keyed(
        "confluent-key",
        "Confluent",
        "Confluent Cloud API key",
        ("confluent",),
        r"[A-Z0-9]{16}",
        "CONFLUENT_API_KEY = '{u16}'",
        severity=Severity.WARNING,
    ),
    prefixed(
        "databricks-oauth-secret",
        "Databricks",
        "Databricks OAuth secret",
        r"dose[a-f0-9]{32}",
        ("dose",),
        "dose{h32}",
    ),
    prefixed(
        "clickhouse-key",
        "ClickHouse Cloud",
        "ClickHouse Cloud API secret",
        r"4b1d[A-Za-z0-9]{38}",
        ("4b1d",),
        "4b1d{a38}",
    ),
)
