"""Located recall and decoys on ../shared/corpus/secrets (skipped where ../shared is absent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path

from nbtools.secrets.scanner import scan_paths

pytestmark = pytest.mark.shared


def _located(label: dict[str, Any], finding: dict[str, Any]) -> bool:
    """A finding is at a label's place: file, cell, part, output, field and line agree."""
    if Path(finding["path"]).name != label["file"]:
        return False
    if label["where"] == "py":
        return finding["line"] == label["line"]
    keys = ["cell_index", "where", "line"]
    if label["where"] == "output":
        keys += ["output_index", "field"]
    if label["where"] == "metadata":
        keys = ["cell_index", "where"]
        if finding["field"] != label["metadata_path"]:
            return False
    return all(finding.get(k) == label.get(k) for k in keys)


def _scan(corpus: Path) -> list[dict[str, Any]]:
    files = sorted(str(p) for p in corpus.iterdir() if p.suffix in (".ipynb", ".py"))
    return [f.to_dict() for outcome in scan_paths(files, jobs=1) for f in outcome.findings]


def corpus_score(corpus: Path) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(missed secret ids, flagged decoy ids, all findings)."""
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    findings = _scan(corpus)
    missed = [s["id"] for s in labels["secrets"] if not any(_located(s, f) for f in findings)]
    flagged = [d["id"] for d in labels["decoys"] if any(_located(d, f) for f in findings)]
    return missed, flagged, findings


def test_located_recall_and_no_decoys() -> None:
    corpus = shared_path("corpus", "secrets")
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    missed, flagged, _ = corpus_score(corpus)
    recall = 1 - len(missed) / len(labels["secrets"])
    assert recall >= 0.98, f"missed {missed}"
    assert flagged == []


def test_no_secret_value_in_any_report() -> None:
    corpus = shared_path("corpus", "secrets")
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    dumped = json.dumps(_scan(corpus))
    leaked = [s["id"] for s in labels["secrets"] if len(s["value"]) >= 8 and s["value"] in dumped]
    assert leaked == []


def test_public_corpus_has_no_findings() -> None:
    """64 real notebooks (images, widgets, errors, hashes) and not one credential among them."""
    corpus = shared_path("corpus", "public")
    files = sorted(str(p) for p in corpus.rglob("*.ipynb"))
    findings = [f.location + " " + f.rule for o in scan_paths(files, jobs=1) for f in o.findings]
    assert findings == []


def test_accelerated_path_with_prefilter_finds_exactly_what_the_pure_path_finds() -> None:
    """hyperscan anchors plus the raw-file prefilter change speed, never results."""
    pytest.importorskip("hyperscan")
    from nbtools.notebook import read_notebook
    from nbtools.secrets.engine import Engine
    from nbtools.secrets.notebook_scan import scan_notebook
    from nbtools.secrets.rules import SECRET_RULES

    pure, fast = Engine(SECRET_RULES, accelerate=False), Engine(SECRET_RULES, accelerate=True)
    files = [
        p for name in ("secrets", "public") for p in shared_path("corpus", name).rglob("*.ipynb")
    ]
    skipped = 0
    for path in sorted(files):
        nbfile = read_notebook(path)
        expected = [f.to_dict() for f in scan_notebook(nbfile, pure)]
        if not fast.may_match(nbfile.raw):
            skipped += 1
            assert expected == [], path
            continue
        assert [f.to_dict() for f in scan_notebook(nbfile, fast)] == expected, path
    assert skipped > 0  # the prefilter does skip clean notebooks
