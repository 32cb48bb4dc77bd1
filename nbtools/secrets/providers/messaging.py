"""Provider rows: messaging, e-mail, chat and customer support.

Mailgun, Mailchimp, Brevo, Postmark, Mailjet, Twilio, Vonage, Plivo, MessageBird, Discord,
Telegram, Teams, Mattermost, LINE, Zendesk, Intercom, HubSpot.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from nbtools.findings import Severity
from nbtools.secrets.providers.rows import URL_CHARS, keyed, prefixed
from nbtools.secrets.ruledef import SecretRule
from nbtools.secrets.tokens import token_validator
from nbtools.secrets.values import token_ok

if TYPE_CHECKING:
    import re


def _discord_bot(match: re.Match[str], _text: str) -> bool:
    """The first part of a bot token is the bot's numeric id in base64."""
    value = match.group("s")
    first = value.split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))
    except (binascii.Error, ValueError):
        return False
    return decoded.isdigit() and 15 <= len(decoded) <= 21 and token_ok(value, 40)


RULES: tuple[SecretRule, ...] = (
    prefixed(
        "mailgun-api-key",
        "Mailgun",
        "Mailgun private API key (key-...)",
        r"key-[a-f0-9]{32}",
        ("key-",),
        "key-{h32}",
    ),
    keyed(
        "mailgun-key",
        "Mailgun",
        "Mailgun API or webhook signing key",
        ("mailgun",),
        r"[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8}",
        "MAILGUN_API_KEY = '{h32}-{h8}-{h8}'",
    ),
    prefixed(
        "mailgun-public-key",
        "Mailgun",
        "Mailgun public validation key",
        r"pubkey-[a-f0-9]{32}",
        ("pubkey-",),
        "pubkey-{h32}",
        severity=Severity.WARNING,
    ),
    prefixed(
        "mailchimp-key",
        "Mailchimp",
        "Mailchimp API key",
        r"[a-f0-9]{32}-us[0-9]{1,2}",
        ("-us",),
        "{h32}-us14",
        back="0123456789abcdef",
        lookbehind=r"(?<![A-Za-z0-9])",
    ),
    prefixed(
        "sendinblue-key",
        "Brevo (Sendinblue)",
        "Brevo (Sendinblue) API key",
        r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        ("xkeysib-",),
        "xkeysib-{h64}-{a16}",
    ),
    prefixed(
        "brevo-smtp-key",
        "Brevo (Sendinblue)",
        "Brevo SMTP key",
        r"xsmtpsib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        ("xsmtpsib-",),
        "xsmtpsib-{h64}-{a16}",
    ),
    keyed(
        "postmark-token",
        "Postmark",
        "Postmark server token",
        ("postmark",),
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "POSTMARK_SERVER_TOKEN = '{h8}-{h4}-{h4}-{h4}-{h12}'",
    ),
    keyed(
        "mailjet-key",
        "Mailjet",
        "Mailjet API secret",
        ("mailjet",),
        r"[a-f0-9]{32}",
        "MAILJET_SECRET_KEY = '{h32}'",
    ),
    prefixed(
        "twilio-api-key-sid",
        "Twilio",
        "Twilio API key SID (its secret is beside it)",
        r"SK[0-9a-fA-F]{32}",
        ("SK",),
        "SK{h32}",
        severity=Severity.WARNING,
        lookbehind=r"(?<![A-Za-z0-9])",
        end=r"(?![A-Za-z0-9])",
    ),
    SecretRule(
        "scan/twilio-credential-pair",
        "Twilio auth token or API key secret next to its account or key SID",
        r"""(?P<sid>(?:AC|SK)[0-9a-f]{32})['"]?[ \t]*(?:,|:)[ \t\n]*(?:[A-Za-z_]\w{0,24}"""
        r"""[ \t]*=[ \t]*)?['"]?(?P<s>[A-Za-z0-9]{32})(?![A-Za-z0-9])""",
        ("AC", "SK"),
        priority=1,
        validate=token_validator(32),
        raw_anchor=r"(?:AC|SK)[0-9a-f]{32}",
        provider="Twilio",
        sample="Client('AC{h32}', '{h32}')",
    ),
    keyed(
        "twilio-auth-token",
        "Twilio",
        "Twilio auth token",
        ("twilio",),
        r"[a-f0-9]{32}",
        "TWILIO_AUTH_TOKEN = '{h32}'",
    ),
    keyed(
        "vonage-secret",
        "Vonage (Nexmo)",
        "Vonage (Nexmo) API secret",
        ("vonage", "nexmo"),
        r"[A-Za-z0-9]{16}",
        "NEXMO_API_SECRET = '{a16}'",
    ),
    keyed(
        "plivo-token",
        "Plivo",
        "Plivo auth token",
        ("plivo",),
        r"[A-Za-z0-9]{40}",
        "PLIVO_AUTH_TOKEN = '{a40}'",
    ),
    keyed(
        "messagebird-key",
        "MessageBird (Bird)",
        "MessageBird API key",
        ("messagebird", "message_bird"),
        r"[A-Za-z0-9]{25}",
        "MESSAGEBIRD_ACCESS_KEY = '{a25}'",
    ),
    prefixed(
        "discord-bot-token",
        "Discord",
        "Discord bot token",
        r"[MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,40}",
        ("MT", "Mj", "Mz", "ND", "NT", "Nj", "Nz", "OD", "OT"),
        "{discord}",
        validate=_discord_bot,
    ),
    prefixed(
        "discord-webhook",
        "Discord",
        "Discord webhook URL",
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/\d{17,20}"
        r"/[A-Za-z0-9_\-]{60,72}",
        ("/webhooks/",),
        "https://discord.com/api/webhooks/{d18}/{w68}",
        back=URL_CHARS,
        start="http",
        lookbehind="",
    ),
    keyed(
        "discord-secret",
        "Discord",
        "Discord client secret or bot token",
        ("discord",),
        r"[A-Za-z0-9_\-]{32}",
        "DISCORD_CLIENT_SECRET = '{w32}'",
    ),
    prefixed(
        "telegram-bot-token",
        "Telegram",
        "Telegram bot token",
        r"[0-9]{8,10}:AA[A-Za-z0-9_\-]{33}",
        (":AA",),
        "{d10}:AA{w33}",
        back="0123456789",
        lookbehind=r"(?:(?<![A-Za-z0-9_\-])|(?<=/bot))",  # also in api.telegram.org/bot<token>
    ),
    keyed(
        "telegram-token",
        "Telegram",
        "Telegram bot token",
        ("telegram", "tg_bot"),
        r"[0-9]{5,16}:A[A-Za-z0-9_\-]{34}",
        "TELEGRAM_TOKEN = '{d9}:A{w34}'",
    ),
    prefixed(
        "teams-webhook",
        "Microsoft Teams",
        "Microsoft Teams incoming webhook URL",
        r"https://[a-z0-9\-]+\.webhook\.office\.com/webhookb2/[a-z0-9\-]{36}@[a-z0-9\-]{36}"
        r"/IncomingWebhook/[a-z0-9]{32}/[a-z0-9\-]{36}(?:/[A-Za-z0-9_\-]+)?",
        ("webhook.office.com",),
        "https://acme.webhook.office.com/webhookb2/{h8}-{h4}-{h4}-{h4}-{h12}@"
        "{h8}-{h4}-{h4}-{h4}-{h12}/IncomingWebhook/{h32}/{h8}-{h4}-{h4}-{h4}-{h12}",
        back=URL_CHARS,
        start="http",
        lookbehind="",
    ),
    keyed(
        "mattermost-token",
        "Mattermost",
        "Mattermost access token",
        ("mattermost",),
        r"[a-z0-9]{26}",
        "MATTERMOST_TOKEN = '{l26}'",
    ),
    keyed(
        "line-token",
        "LINE",
        "LINE channel access token or secret",
        ("line_channel", "linebot"),
        r"[A-Za-z0-9+/=]{32,180}",
        "LINE_CHANNEL_SECRET = '{b40}'",
    ),
    keyed(
        "zendesk-token",
        "Zendesk",
        "Zendesk API token",
        ("zendesk",),
        r"[A-Za-z0-9]{40}",
        "ZENDESK_API_TOKEN = '{a40}'",
    ),
    keyed(
        "intercom-token",
        "Intercom",
        "Intercom access token",
        ("intercom",),
        r"[A-Za-z0-9=_\-]{60}",
        "INTERCOM_ACCESS_TOKEN = '{w60}'",
    ),
    prefixed(
        "hubspot-token",
        "HubSpot",
        "HubSpot private app token",
        r"pat-(?:na|eu)[12]-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ("pat-na", "pat-eu"),
        "pat-na1-{h8}-{h4}-{h4}-{h4}-{h12}",
    ),
    keyed(
        "hubspot-key",
        "HubSpot",
        "HubSpot API key",
        ("hubspot",),
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        "HUBSPOT_API_KEY = '{h8}-{h4}-{h4}-{h4}-{h12}'",
    ),
)
