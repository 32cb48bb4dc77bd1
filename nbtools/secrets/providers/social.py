"""Provider rows: social networks, media, maps, file sharing and identity.

Meta, X (Twitter), Twitch, Reddit, Spotify, LinkedIn, Mapbox, Dropbox, Frame.io, Okta,
Auth0, Zoom.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.findings import Severity
from nbtools.secrets.providers.rows import keyed, prefixed
from nbtools.secrets.values import entropy

if TYPE_CHECKING:
    from nbtools.secrets.ruledef import SecretRule

RULES: tuple[SecretRule, ...] = (
    prefixed(
        "facebook-access-token",
        "Meta (Facebook)",
        "Meta (Facebook) access token",
        r"EAA[BCDGIJMNQRUVZ][A-Za-z0-9]{80,}",
        ("EAA",),
        "EAAB{a120}",
    ),
    keyed(
        "facebook-app-secret",
        "Meta (Facebook)",
        "Meta (Facebook) app secret",
        ("facebook", "fb_app_secret", "fb_secret", "meta_app_secret"),
        r"[a-f0-9]{32}",
        "FACEBOOK_APP_SECRET = '{h32}'",
    ),
    prefixed(
        "facebook-app-token",
        "Meta (Facebook)",
        "Meta (Facebook) app access token",
        r"[0-9]{15,16}\|[A-Za-z0-9_\-]{27}",
        ("|",),
        "{d15}|{w27}",
        back="0123456789",
    ),
    prefixed(
        "instagram-token",
        "Meta (Instagram)",
        "Instagram access token",
        r"IG(?:QV|AA)[A-Za-z0-9_\-]{100,}",
        ("IGQV", "IGAA"),
        "IGQV{w160}",
    ),
    prefixed(
        "twitter-bearer-token",
        "X (Twitter)",
        "X (Twitter) bearer token",
        r"AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{60,120}",
        ("AAAAAAAAAAAAAAAAAAAAA",),
        "AAAAAAAAAAAAAAAAAAAAA{a30}%3D{a50}",
        validate=lambda m, _t: entropy(m.group("s")[21:]) >= 4.0,
    ),
    keyed(
        "twitter-secret",
        "X (Twitter)",
        "X (Twitter) API secret or access token secret",
        ("twitter", "consumer_secret", "access_token_secret", "tweepy"),
        r"(?:[A-Za-z0-9]{45}|[A-Za-z0-9]{50})",
        "TWITTER_API_SECRET = '{a50}'",
    ),
    keyed(
        "twitter-access-token",
        "X (Twitter)",
        "X (Twitter) access token",
        ("twitter", "tweepy"),
        r"[0-9]{15,25}-[A-Za-z0-9]{20,40}",
        "TWITTER_ACCESS_TOKEN = '{d19}-{a31}'",
    ),
    keyed(
        "twitter-api-key",
        "X (Twitter)",
        "X (Twitter) API key",
        ("twitter", "tweepy"),
        r"[A-Za-z0-9]{25}",
        "TWITTER_API_KEY = '{a25}'",
    ),
    keyed(
        "twitch-token",
        "Twitch",
        "Twitch client secret or OAuth token",
        ("twitch",),
        r"(?:oauth:)?[a-z0-9]{30}",
        "TWITCH_CLIENT_SECRET = '{l30}'",
    ),
    keyed(
        "reddit-secret",
        "Reddit",
        "Reddit client secret",
        ("reddit", "praw"),
        r"[A-Za-z0-9_\-]{27,30}",
        "praw.Reddit(client_secret='{w27}')",
    ),
    keyed(
        "spotify-secret",
        "Spotify",
        "Spotify client secret",
        ("spotify", "spotipy"),
        r"[a-f0-9]{32}",
        "SPOTIFY_CLIENT_SECRET = '{h32}'",
    ),
    keyed(
        "linkedin-secret",
        "LinkedIn",
        "LinkedIn client secret",
        ("linkedin", "linked_in"),
        r"[A-Za-z0-9]{16}",
        "LINKEDIN_CLIENT_SECRET = '{a16}'",
    ),
    prefixed(
        "mapbox-secret-token",
        "Mapbox",
        "Mapbox secret token",
        r"sk\.eyJ1Ijoi[A-Za-z0-9_\-]{20,300}\.[A-Za-z0-9_\-]{20,30}",
        ("sk.eyJ1Ijoi",),
        "sk.eyJ1Ijoi{w40}.{w22}",
    ),
    prefixed(
        "mapbox-public-token",
        "Mapbox",
        "Mapbox public token (scope it to URLs)",
        r"pk\.eyJ1Ijoi[A-Za-z0-9_\-]{20,300}\.[A-Za-z0-9_\-]{20,30}",
        ("pk.eyJ1Ijoi",),
        "pk.eyJ1Ijoi{w40}.{w22}",
        severity=Severity.NOTE,
    ),
    prefixed(
        "mapbox-temporary-token",
        "Mapbox",
        "Mapbox temporary token",
        r"tk\.eyJ1Ijoi[A-Za-z0-9_\-]{20,300}\.[A-Za-z0-9_\-]{20,30}",
        ("tk.eyJ1Ijoi",),
        "tk.eyJ1Ijoi{w40}.{w22}",
        severity=Severity.WARNING,
    ),
    prefixed(
        "dropbox-short-lived-token",
        "Dropbox",
        "Dropbox access token",
        r"sl\.(?:u\.)?[A-Za-z0-9_\-=]{130,1400}",
        ("sl.",),
        "sl.B{w140}",
    ),
    keyed(
        "dropbox-token",
        "Dropbox",
        "Dropbox app secret or long-lived token",
        ("dropbox",),
        r"(?:[a-z0-9]{15}|[A-Za-z0-9]{11}AAAAAAAAAA[A-Za-z0-9_=\-]{43})",
        "DROPBOX_APP_SECRET = '{l15}'",
        min_len=15,
    ),
    keyed(
        "frameio-token",
        "Frame.io",
        "Frame.io developer token",
        ("frameio", "frame_io"),
        r"fio-u-[A-Za-z0-9_\-=]{64}",
        "FRAMEIO_TOKEN = 'fio-u-{w64}'",
    ),
    keyed(
        "okta-token",
        "Okta",
        "Okta API token",
        ("okta",),
        r"00[A-Za-z0-9_\-]{40}",
        "OKTA_API_TOKEN = '00{w40}'",
    ),
    keyed(
        "auth0-secret",
        "Auth0",
        "Auth0 client secret",
        ("auth0",),
        r"[A-Za-z0-9_\-]{64}",
        "AUTH0_CLIENT_SECRET = '{w64}'",
    ),
    keyed(
        "zoom-secret",
        "Zoom",
        "Zoom client or JWT secret",
        ("zoom",),
        r"[A-Za-z0-9]{32}",
        "ZOOM_CLIENT_SECRET = '{a32}'",
    ),
)
