"""Check a SARIF log the way GitHub code scanning takes it: valid against the official 2.1.0
schema, and within the documented upload rules (docs.github.com, "SARIF support for code
scanning" and "SARIF results exceed one or more limits"): at most 10 MB gzip-compressed, 20
runs, 25,000 results and 25,000 rules a run, 20 tags a rule, 1,000 locations a result; required
``tool.driver.name``, rule ``id``/``shortDescription``/``fullDescription`` (1,000 characters at
most)/``help``, result ``ruleId``/``message.text``/``locations``/``partialFingerprints``,
URIs relative to the repository root and ``region.startLine`` >= 1.

Every test that reads nbtools' SARIF goes through :func:`check_sarif`.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from conftest import shared_path

MAX_GZIP_BYTES = 10 * 1024 * 1024
MAX_RUNS = 20
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_TAGS = 20
MAX_LOCATIONS = 1_000
PRECISIONS = {"very-high", "high", "medium", "low"}
LEVELS = {"error", "warning", "note", "none"}


def validate_schema(log: dict[str, Any]) -> None:
    """The official SARIF 2.1.0 schema (from ../shared; skipped where absent)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(shared_path("schemas", "sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema)


def upload_problems(log: dict[str, Any], allow_outside: bool = False) -> list[str]:
    """What would make code scanning reject or misplace ``log`` (empty when nothing)."""
    bad: list[str] = []
    size = len(gzip.compress(json.dumps(log).encode("utf-8")))
    if size > MAX_GZIP_BYTES:
        bad.append(f"{size} bytes gzip-compressed")
    if not log.get("$schema") or log.get("version") != "2.1.0":
        bad.append("$schema and version 2.1.0 required")
    runs = log.get("runs") or []
    if not 1 <= len(runs) <= MAX_RUNS:
        bad.append(f"{len(runs)} runs")
    for run in runs:
        driver = run["tool"]["driver"]
        if not driver.get("name"):
            bad.append("tool.driver.name missing")
        rules = driver.get("rules", [])
        if len(rules) > MAX_RULES:
            bad.append(f"{len(rules)} rules")
        for rule in rules:
            where = f"rule {rule.get('id')}"
            if not rule.get("id") or not rule.get("shortDescription", {}).get("text"):
                bad.append(f"{where}: id and shortDescription.text required")
            full = rule.get("fullDescription", {}).get("text", "")
            if not full or len(full) > 1000:
                bad.append(f"{where}: fullDescription.text required, 1,000 characters at most")
            if not rule.get("help", {}).get("text"):
                bad.append(f"{where}: help.text required")
            props = rule.get("properties", {})
            if len(props.get("tags", [])) > MAX_TAGS:
                bad.append(f"{where}: more than {MAX_TAGS} tags")
            if "precision" in props and props["precision"] not in PRECISIONS:
                bad.append(f"{where}: precision {props['precision']!r}")
            if "security-severity" in props:
                score = float(props["security-severity"])  # a string holding a number
                if not 0.0 <= score <= 10.0 or "security" not in props.get("tags", []):
                    bad.append(f"{where}: security-severity without the security tag or range")
        results = run.get("results", [])
        if len(results) > MAX_RESULTS:
            bad.append(f"{len(results)} results")
        ids = [r["id"] for r in rules]
        for number, result in enumerate(results):
            where = f"result {number} ({result.get('ruleId')})"
            if result.get("ruleId") not in ids:
                bad.append(f"{where}: ruleId names no rule")
            elif "ruleIndex" in result and ids[result["ruleIndex"]] != result["ruleId"]:
                bad.append(f"{where}: ruleIndex points at another rule")
            if result.get("level", "warning") not in LEVELS:
                bad.append(f"{where}: level")
            if not result.get("message", {}).get("text"):
                bad.append(f"{where}: message.text required")
            prints = result.get("partialFingerprints", {})
            if not prints.get("primaryLocationLineHash"):
                bad.append(f"{where}: partialFingerprints.primaryLocationLineHash")
            locations = result.get("locations", [])
            if not 1 <= len(locations) <= MAX_LOCATIONS:
                bad.append(f"{where}: {len(locations)} locations")
            for location in locations:
                physical = location.get("physicalLocation", {})
                uri = physical.get("artifactLocation", {}).get("uri", "")
                if not uri or (not allow_outside and (":" in uri.split("/")[0] or uri[0] == "/")):
                    bad.append(f"{where}: uri {uri!r} is not relative to the repository root")
                if uri.startswith(("./", "../")):
                    bad.append(f"{where}: uri {uri!r} is not normalised")
                if physical.get("region", {}).get("startLine", 0) < 1:
                    bad.append(f"{where}: region.startLine >= 1 required")
        prints = [
            r["partialFingerprints"].get("primaryLocationLineHash")
            for r in results
            if "partialFingerprints" in r
        ]
        if len(set(prints)) != len(prints):
            bad.append("results share a fingerprint (code scanning would merge their alerts)")
    return bad


def check_sarif(log: dict[str, Any], allow_outside: bool = False) -> dict[str, Any]:
    """Fail unless ``log`` is schema-valid and code scanning would take it as it is."""
    problems = upload_problems(log, allow_outside)
    assert not problems, "\n".join(problems)
    validate_schema(log)
    return log
