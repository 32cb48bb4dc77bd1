"""``nbtools run --cache``: served only while nothing the result depended on changed (#14)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import make_cell, make_nb, write_nb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtools.cli import main
from nbtools.execute.audit import inputs_from_record
from nbtools.execute.cache import RunCache, parse_size
from nbtools.execute.cachekey import VERSION

pytestmark = pytest.mark.kernel


def _nb(path: Path, *sources: str, markdown: str = "# notes") -> Path:
    cells = [make_cell("markdown", markdown)] + [make_cell("code", s) for s in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_nb(path, make_nb(cells))


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # a repository root for relative inputs
    (repo / "helpers.py").write_text("SCALE = 2\n")
    (repo / "data.csv").write_text("a,b\n1,2\n")
    _nb(repo / "uses_helper.ipynb", "import helpers\nprint(helpers.SCALE * 21)")
    _nb(repo / "reads_data.ipynb", "with open('data.csv') as f:\n    print(f.read())")
    _nb(repo / "plain.ipynb", "print(1 + 1)")
    return repo


def run(
    capsys: pytest.CaptureFixture[str], repo: Path, *args: str
) -> tuple[int, dict[str, dict[str, Any]], dict[str, Any], str]:
    code = main(["run", "--format", "json", "--cache", str(repo / ".cache"), *args, str(repo)])
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    entries = {Path(n["path"]).name: n for n in report["notebooks"]}
    return code, entries, report, captured.err


def ran(entries: dict[str, dict[str, Any]]) -> set[str]:
    return {name for name, entry in entries.items() if not entry.get("cached")}


def test_each_kind_of_edit_reruns_exactly_what_it_can_affect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path)
    code, entries, report, _ = run(capsys, repo)
    assert code == 0 and ran(entries) == set(entries) and len(entries) == 3
    assert report["cache"] == {"served": 0, "stored": 3}

    code, entries, report, _ = run(capsys, repo)
    assert code == 0 and ran(entries) == set()
    assert all(e["cached"] is True and e["verdict"] == "pass" for e in entries.values())
    assert report["summary_line"].startswith("3 notebooks: 3 pass (3 cached)")

    # markdown only: nothing reruns (and the renumbered cells still point at code cells)
    nb = json.loads((repo / "plain.ipynb").read_text())
    nb["cells"].insert(0, make_cell("markdown", "a new heading"))
    write_nb(repo / "plain.ipynb", nb)
    code, entries, _, _ = run(capsys, repo)
    assert ran(entries) == set()
    assert [c["index"] for c in entries["plain.ipynb"]["cells"]] == [2]

    # the helper module: only the notebook that imports it
    (repo / "helpers.py").write_text("SCALE = 3\n")
    code, entries, _, _ = run(capsys, repo)
    assert ran(entries) == {"uses_helper.ipynb"}

    # the data file: only the notebook that reads it
    (repo / "data.csv").write_text("a,b\n3,4\n")
    code, entries, _, _ = run(capsys, repo)
    assert ran(entries) == {"reads_data.ipynb"}

    # a code cell: only that notebook
    _nb(repo / "plain.ipynb", "print(2 + 2)")
    code, entries, _, _ = run(capsys, repo)
    assert ran(entries) == {"plain.ipynb"}

    # options that change execution: everything
    code, entries, _, _ = run(capsys, repo, "--env", "MODE=fast")
    assert ran(entries) == set(entries)
    code, entries, _, _ = run(capsys, repo, "--timeout", "123")
    assert ran(entries) == set(entries)
    code, entries, _, _ = run(capsys, repo, "--timeout", "123")
    assert ran(entries) == set()

    # --refresh reruns and stores; --no-cache neither reads nor writes
    code, entries, report, _ = run(capsys, repo, "--refresh")
    assert ran(entries) == set(entries) and report["cache"]["stored"] == 3
    code, entries, report, _ = run(capsys, repo, "--no-cache")
    assert ran(entries) == set(entries) and "cache" not in report


def test_failures_are_never_stored_and_outputs_are_not_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _nb(repo / "fails.ipynb", "raise ValueError('no')")
    _nb(repo / "slow.ipynb", "import time\ntime.sleep(30)")
    _nb(repo / "writes.ipynb", "open('out.txt', 'w').write('made here')")
    dice = make_cell("code", "import random\nprint(random.random())")
    dice["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "0.123\n"}]
    dice["execution_count"] = 1
    write_nb(repo / "dice.ipynb", make_nb([dice]))
    code, entries, report, _ = run(capsys, repo, "--timeout", "2")
    assert entries["slow.ipynb"]["verdict"] == "fail_error"
    assert entries["dice.ipynb"]["verdict"] == "nondeterministic"
    assert code == 1 and report["cache"]["stored"] == 1  # writes.ipynb only
    (repo / "out.txt").write_text("changed by someone")  # an output, never read: not an input
    code, entries, _, _ = run(capsys, repo, "--timeout", "2")
    assert ran(entries) == {"fails.ipynb", "slow.ipynb", "dice.ipynb"}
    assert entries["fails.ipynb"]["verdict"] == "fail_error"


def test_a_file_tried_and_missing_is_an_input_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _nb(
        repo / "optional.ipynb",
        "import os\ntry:\n    print(open('local.cfg').read())\nexcept OSError:\n    print('defaults')",
    )
    run(capsys, repo)
    assert ran(run(capsys, repo)[1]) == set()
    (repo / "local.cfg").write_text("debug = 1\n")
    assert ran(run(capsys, repo)[1]) == {"optional.ipynb"}


def test_write_from_the_cache_keeps_the_new_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    path = _nb(repo / "nb.ipynb", "print(6 * 7)")
    run(capsys, repo)
    _nb(path, "print(6 * 7)", markdown="# edited text")
    code, entries, _, _ = run(capsys, repo, "--write")
    assert entries["nb.ipynb"]["cached"] is True and code == 0
    written = json.loads(path.read_text())
    assert "".join(written["cells"][0]["source"]) == "# edited text"
    assert written["cells"][1]["outputs"][0]["text"] in ("42\n", ["42\n"])


def _entries(repo: Path) -> list[Path]:
    return sorted((repo / ".cache" / f"v{VERSION}").rglob("*.json"))


@pytest.mark.parametrize(
    ("damage", "warning"),
    [
        (lambda d: "{not json", "unreadable entry"),
        (lambda d: json.dumps({**d, "nbtools_cache": 99}), "unknown format version 99"),
        (lambda d: json.dumps({**d, "key": "0" * 64}), "a foreign or renamed entry"),
        (lambda d: json.dumps({**d, "inputs": {"../../etc/passwd": None}}), "malformed inputs"),
        (lambda d: json.dumps({**d, "entry": {**d["entry"], "verdict": "fail"}}), "malformed"),
        (lambda d: json.dumps([d]), "not an nbtools run cache entry"),
    ],
)
def test_corrupted_or_foreign_entries_are_ignored_with_a_warning(
    damage: Any, warning: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    _nb(repo / "nb.ipynb", "print(1)")
    run(capsys, repo)
    [entry] = _entries(repo)
    entry.write_text(damage(json.loads(entry.read_text())))
    code, entries, _, err = run(capsys, repo)
    assert code == 0 and ran(entries) == {"nb.ipynb"}
    assert "run cache: ignoring" in err and warning in err


def test_concurrent_writers_share_one_folder(tmp_path: Path) -> None:
    """Many processes storing and reading the same keys: a reader sees a whole entry or none."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "in.txt").write_text("x")
    script = (
        "import sys\n"
        "from nbtools.execute.cache import RunCache\n"
        "cache = RunCache(sys.argv[1], warn=lambda m: print('WARN', m))\n"
        "entry = {'verdict': 'pass', 'cells': [{'index': 0}], 'pad': 'p' * 200000}\n"
        "for i in range(40):\n"
        "    key = str(i % 4) * 64\n"
        "    cache.store(key, sys.argv[2], ['in.txt'], entry, [0], None)\n"
        "    hit = cache.lookup(key, sys.argv[2])\n"
        "    assert hit is not None and hit.entry['verdict'] == 'pass'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / "c"), str(root)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "WARN" not in out
    assert not list((tmp_path / "c").rglob(".tmp-*"))


def test_eviction_keeps_the_recently_used(tmp_path: Path) -> None:
    cache = RunCache(str(tmp_path / "c"), max_size=parse_size("1M"))
    root = str(tmp_path)
    entry = {"verdict": "pass", "cells": [], "pad": "p" * 300_000}
    for i in range(6):
        assert cache.store(f"{i:x}" * 64, root, [], entry, [], None)
        os.utime(cache._candidates(f"{i:x}" * 64)[0], (1000 + i, 1000 + i))
    assert cache.lookup("0" * 64, root) is not None  # used now: kept
    assert cache.prune() == 3
    kept = {k for k in (f"{i:x}" * 64 for i in range(6)) if cache.lookup(k, root)}
    assert kept == {"0" * 64, "4" * 64, "5" * 64}


def test_sizes() -> None:
    assert parse_size("500M") == 500 * 1024**2 and parse_size("2g") == 2 * 1024**3
    assert parse_size("1000") == 1000
    with pytest.raises(ValueError):
        parse_size("lots")


def test_bad_size_is_a_usage_error(tmp_path: Path) -> None:
    nb = _nb(tmp_path / "nb.ipynb", "1")
    assert main(["run", "--cache", str(tmp_path / "c"), "--cache-max-size", "big", str(nb)]) == 2


def test_record_maps_container_paths_and_keeps_the_tree_only(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "pkg" / "__pycache__").mkdir(parents=True)
    (tree / ".git").mkdir()
    record = {
        "version": 1,
        "reads": {
            "/tf/notebooks/data.csv": [1, 2],
            "/tf/notebooks/.git/HEAD": [1, 2],
            "/etc/passwd": [1, 2],
            "/tf/notebooks/../secret": None,
        },
        "modules": ["/tf/notebooks/pkg/__pycache__/mod.cpython-38.pyc", "/usr/lib/x.py"],
        "changed": [],
    }
    read, changed = inputs_from_record(record, str(tree), "/tf/notebooks", str(tree)) or ([], [])
    assert read == ["data.csv", "pkg/mod.py"] and changed == []
    assert inputs_from_record({"reads": []}, str(tree)) is None


def test_the_audit_hook_works_on_python_3_8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    python = os.environ.get("NBTOOLS_PY38")
    if not python or not os.access(python, os.X_OK):
        pytest.skip("NBTOOLS_PY38 (a Python 3.8 with ipykernel) not set")
    repo = _repo(tmp_path)
    assert len(ran(run(capsys, repo, "--kernel", python)[1])) == 3
    assert ran(run(capsys, repo, "--kernel", python)[1]) == set()
    (repo / "helpers.py").write_text("SCALE = 5\n")
    assert ran(run(capsys, repo, "--kernel", python)[1]) == {"uses_helper.ipynb"}
    # another interpreter is another kernel: nothing of 3.8's results is served
    assert ran(run(capsys, repo)[1]) == {"uses_helper.ipynb", "reads_data.ipynb", "plain.ipynb"}


def test_changed_since_follows_imports_transitively(tmp_path: Path) -> None:
    from nbtools.execute.changed import local_dependencies

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from pkg import inner\n")
    (tmp_path / "pkg" / "inner.py").write_text("import deep\n")
    (tmp_path / "deep.py").write_text("X = 1\n")
    (tmp_path / "script.py").write_text("import importlib\nimportlib.import_module('other')\n")
    (tmp_path / "other.py").write_text("")
    found = local_dependencies(
        ["from pkg import thing\nimport numpy", "%run -i script.py"], str(tmp_path), str(tmp_path)
    )
    existing = {Path(p).name for p in found if os.path.isfile(p)}
    assert existing == {"__init__.py", "inner.py", "deep.py", "script.py", "other.py"}


def test_shard_timings_of_a_cached_notebook_are_its_last_real_run(tmp_path: Path) -> None:
    from nbtools.execute.shard import load_durations

    report = tmp_path / "report.json"
    report.write_text(
        json.dumps(
            {
                "notebooks": [
                    {
                        "path": "a.ipynb",
                        "duration_s": 0.0,
                        "cached": True,
                        "cached_duration_s": 7.5,
                    },
                    {"path": "b.ipynb", "duration_s": 2.0},
                ]
            }
        )
    )
    durations = load_durations(str(report))
    assert sorted(durations.values()) == [2.0, 7.5]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    ),
    st.sampled_from(["nbtools_cache", "key", "inputs", "entry", "code_cells", "executed_nb"]),
)
def test_hostile_entries_never_crash_and_never_serve(
    tmp_path: Path, value: Any, field_name: str
) -> None:
    """Any value in any field of an otherwise valid entry: a hit only if still valid."""
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    warnings: list[str] = []
    cache = RunCache(str(tmp_path / "fuzz"), warn=warnings.append)
    key = "a" * 64
    entry = {"verdict": "pass", "cells": [{"index": 1}]}
    path = cache.store(key, str(root), [], entry, [1], {"cells": [{}, {"outputs": []}]})
    assert path is not None
    data = json.loads(Path(path).read_text())
    data[field_name] = value
    Path(path).write_text(json.dumps(data))
    hit = cache.lookup(key, str(root))
    if hit is None:
        assert warnings
    else:  # the damage left a valid entry: it is served as stored
        from nbtools.execute.cache import serve

        served, _ = serve(hit, {"cells": [{"cell_type": "markdown"}, {"cell_type": "code"}]})
        assert served["verdict"] == "pass"


def test_cached_reports_follow_the_json_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(
        (
            Path(__file__).resolve().parents[1] / "nbtools" / "data" / "report.schema.json"
        ).read_text()
    )
    repo = _repo(tmp_path)
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True, capture_output=True)
    subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True, capture_output=True)
    run(capsys, repo)
    _nb(repo / "plain.ipynb", "print(1 + 1)", markdown="# reworded")  # selected, yet served
    _, entries, report, _ = run(capsys, repo, "--changed-since", "HEAD")
    assert report["changed_since"]["selected"] == {str(repo / "plain.ipynb"): "plain.ipynb changed"}
    assert report["changed_since"]["unchanged"] == 2 and report["cache"]["served"] == 1
    assert entries["plain.ipynb"]["cached"] and entries["plain.ipynb"]["cached_duration_s"] > 0
    jsonschema.Draft202012Validator(schema).validate(report)
    broken = {**report, "cache": {"served": "all"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def test_run_magic_importlib_and_threads_are_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "setup_vars.py").write_text("Z = 7\n")
    (repo / "plugin.py").write_text("NAME = 'a'\n")
    (repo / "table.txt").write_text("1\n")
    _nb(
        repo / "nb.ipynb",
        "%run setup_vars.py\nprint(Z)",
        "import importlib\nprint(importlib.import_module('plugin').NAME)",
        "import threading\nt = threading.Thread(target=lambda: open('table.txt').read())\n"
        "t.start(); t.join()",
    )
    run(capsys, repo)
    [entry] = _entries(repo)
    assert set(json.loads(entry.read_text())["inputs"]) == {
        "setup_vars.py",
        "plugin.py",
        "table.txt",
    }
    for name in ("setup_vars.py", "plugin.py", "table.txt"):
        with open(repo / name, "a") as handle:
            handle.write("\n")
        assert ran(run(capsys, repo)[1]) == {"nb.ipynb"}, name
    assert ran(run(capsys, repo)[1]) == set()


def test_links_a_tree_ships_inside_the_cache_never_take_a_write_outside(tmp_path: Path) -> None:
    """A pull request commits links inside a cache folder kept in the repository: a dangling
    CACHEDIR.TAG and an entry folder pointing out of the tree. Nothing is written outside."""
    from nbtools.execute.cache import RunCache

    outside = tmp_path / "outside"
    outside.mkdir()
    cache_dir = tmp_path / "repo" / ".nbtools-cache"
    cache_dir.mkdir(parents=True)
    (cache_dir / "CACHEDIR.TAG").symlink_to(outside / "planted")
    warnings: list[str] = []
    cache = RunCache(str(cache_dir), warn=warnings.append)
    key = "ab" + "0" * 62
    entries = Path(cache.entries_dir)
    entries.mkdir(parents=True, exist_ok=True)
    (entries / key[:2]).symlink_to(outside)
    stored = cache.store(key, str(tmp_path / "repo"), [], {"verdict": "pass"}, [], None)
    assert stored is None and any("is a link" in w for w in warnings)
    assert list(outside.iterdir()) == []
