"""Provider rows: data APIs: places, weather, news, finance and statistics.

HERE, TomTom, OpenWeather, NewsAPI, Alpha Vantage, Finnhub, Polygon.io, FRED, Nasdaq Data
Link, US Census.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtools.secrets.providers.rows import keyed

if TYPE_CHECKING:
    from nbtools.secrets.ruledef import SecretRule

RULES: tuple[SecretRule, ...] = (
    keyed(
        "here-key",
        "HERE",
        "HERE API key",
        ("here_api",),
        r"[A-Za-z0-9_\-]{43}",
        "HERE_API_KEY = '{w43}'",
    ),
    keyed(
        "tomtom-key",
        "TomTom",
        "TomTom API key",
        ("tomtom",),
        r"[A-Za-z0-9]{32}",
        "TOMTOM_API_KEY = '{a32}'",
    ),
    keyed(
        "openweather-key",
        "OpenWeather",
        "OpenWeather API key",
        ("openweather", "owm_"),
        r"[a-f0-9]{32}",
        "OPENWEATHER_API_KEY = '{h32}'",
    ),
    keyed(
        "newsapi-key",
        "NewsAPI",
        "NewsAPI key",
        ("newsapi",),
        r"[a-f0-9]{32}",
        "newsapi = NewsApiClient(api_key='{h32}')",
    ),
    keyed(
        "alpha-vantage-key",
        "Alpha Vantage",
        "Alpha Vantage API key",
        ("alpha_vantage", "alphavantage"),
        r"[A-Z0-9]{16}",
        "ALPHAVANTAGE_KEY = '{u16}'",
    ),
    keyed(
        "finnhub-key",
        "Finnhub",
        "Finnhub API key",
        ("finnhub",),
        r"[a-z0-9]{20}",
        "finnhub.Client(api_key='{l20}')",
    ),
    keyed(
        "polygon-key",
        "Polygon.io",
        "Polygon.io API key",
        ("polygon",),
        r"[A-Za-z0-9_]{32}",
        "POLYGON_API_KEY = '{a32}'",
    ),
    keyed(
        "fred-key",
        "FRED (St. Louis Fed)",
        "FRED API key",
        ("fred",),
        r"[a-f0-9]{32}",
        "fred = Fred(api_key='{h32}')",
    ),
    keyed(
        "quandl-key",
        "Nasdaq Data Link (Quandl)",
        "Nasdaq Data Link API key",
        ("quandl", "nasdaqdatalink"),
        r"[A-Za-z0-9_\-]{20}",
        "quandl.ApiConfig.api_key = '{a20}'",
    ),
    keyed(
        "census-key",
        "US Census Bureau",
        "US Census API key",
        ("census",),
        r"[a-f0-9]{40}",
        "CENSUS_API_KEY = '{h40}'",
    ),
)
