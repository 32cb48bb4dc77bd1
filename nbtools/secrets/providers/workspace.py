"""Provider rows: work tracking and workspace apps.

Atlassian, Bitbucket, Linear, Notion, Airtable, Postman, Figma, Contentful, ClickUp, Asana,
Trello, Todoist, Typeform.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.secrets.providers.rows import keyed, prefixed

if TYPE_CHECKING:
    from nbtools.secrets.ruledef import SecretRule

RULES: tuple[SecretRule, ...] = (
    prefixed(
        "atlassian-api-token",
        "Atlassian",
        "Atlassian API token",
        r"ATATT3[A-Za-z0-9_\-=]{186}",
        ("ATATT3",),
        "ATATT3{w186}",
    ),
    prefixed(
        "atlassian-admin-key",
        "Atlassian",
        "Atlassian organization admin API key",
        r"ATCTT3[A-Za-z0-9_\-=]{186}",
        ("ATCTT3",),
        "ATCTT3{w186}",
    ),
    keyed(
        "jira-token",
        "Atlassian",
        "Jira or Confluence API token",
        ("jira", "confluence", "atlassian"),
        r"[A-Za-z0-9]{24}",
        "JIRA_API_TOKEN = '{a24}'",
    ),
    prefixed(
        "bitbucket-app-password",
        "Bitbucket",
        "Bitbucket app password",
        r"ATBB[A-Za-z0-9_=.\-]{32}",
        ("ATBB",),
        "ATBB{a32}",
    ),
    keyed(
        "bitbucket-secret",
        "Bitbucket",
        "Bitbucket client secret",
        ("bitbucket",),
        r"[A-Za-z0-9_\-]{32,64}",
        "BITBUCKET_CLIENT_SECRET = '{w40}'",
    ),
    prefixed(
        "linear-api-key",
        "Linear",
        "Linear API key",
        r"lin_api_[A-Za-z0-9]{40}",
        ("lin_api_",),
        "lin_api_{a40}",
    ),
    prefixed(
        "linear-oauth-token",
        "Linear",
        "Linear OAuth token",
        r"lin_oauth_[a-f0-9]{64}",
        ("lin_oauth_",),
        "lin_oauth_{h64}",
    ),
    prefixed(
        "notion-token",
        "Notion",
        "Notion integration token",
        r"ntn_[0-9]{11}[A-Za-z0-9]{35}",
        ("ntn_",),
        "ntn_{d11}{a35}",
    ),
    prefixed(
        "notion-legacy-token",
        "Notion",
        "Notion integration token (legacy secret_)",
        r"secret_[A-Za-z0-9]{43}",
        ("secret_",),
        "secret_{a43}",
    ),
    prefixed(
        "airtable-pat",
        "Airtable",
        "Airtable personal access token",
        r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}",
        ("pat",),
        "pat{a14}.{h64}",
    ),
    keyed(
        "airtable-key",
        "Airtable",
        "Airtable API key (legacy)",
        ("airtable",),
        r"key[A-Za-z0-9]{14}",
        "AIRTABLE_API_KEY = 'key{a14}'",
        min_len=16,
    ),
    prefixed(
        "postman-key",
        "Postman",
        "Postman API key",
        r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",
        ("PMAK-",),
        "PMAK-{h24}-{h34}",
    ),
    prefixed(
        "figma-token",
        "Figma",
        "Figma personal access token",
        r"figd_[A-Za-z0-9_\-]{40}",
        ("figd_",),
        "figd_{w40}",
    ),
    prefixed(
        "contentful-token",
        "Contentful",
        "Contentful personal access token",
        r"CFPAT-[A-Za-z0-9_\-]{43}",
        ("CFPAT-",),
        "CFPAT-{w43}",
    ),
    prefixed(
        "clickup-token",
        "ClickUp",
        "ClickUp personal API token",
        r"pk_[0-9]{6,10}_[A-Z0-9]{32}",
        ("pk_",),
        "pk_{d8}_{u32}",
    ),
    keyed(
        "asana-token",
        "Asana",
        "Asana personal access token",
        ("asana",),
        r"[0-9]/[0-9]{16}(?:/[0-9]{16})?:[a-f0-9]{32}",
        "ASANA_TOKEN = '2/{d16}/{d16}:{h32}'",
    ),
    keyed(
        "trello-token",
        "Trello",
        "Trello API token",
        ("trello",),
        r"(?:ATTA)?[a-f0-9]{64}",
        "TRELLO_TOKEN = '{h64}'",
    ),
    keyed(
        "todoist-token",
        "Todoist",
        "Todoist API token",
        ("todoist",),
        r"[a-f0-9]{40}",
        "TODOIST_API_TOKEN = '{h40}'",
    ),
    keyed(
        "typeform-token",
        "Typeform",
        "Typeform personal token",
        ("typeform",),
        r"tfp_[A-Za-z0-9_\-.=]{59}",
        "TYPEFORM_TOKEN = 'tfp_{w59}'",
    ),
)
