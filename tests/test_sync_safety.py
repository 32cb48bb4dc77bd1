"""Pair and sync on an untrusted tree: every read and write stays inside the repository,
and a sync record is only a hint (issue 17, rule 4)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbtools.cli import main
from nbtools.errors import InputError
from nbtools.pairs.find import Pair, contained
from nbtools.pairs.formats import parse_format
from nbtools.pairs.state import STATE_FILE, SyncState, bytes_hash
from nbtools.pairs.tree import tree_root

pytestmark = pytest.mark.git


def notebook(path: Path, source: str = "x = 1\n", formats: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    if formats:
        nb.metadata["jupytext"] = {"formats": formats}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def hostile_pair(git_repo: Path) -> tuple[Path, Path, bytes]:
    """The attack of issue 17: a prefix climbing out of the repository, and a crafted record
    whose hashes claim the notebook side changed (so sync would write the script)."""
    victim = git_repo.parent / "victim" / "nb.py"
    victim.parent.mkdir()
    victim.write_text("precious = True\n", encoding="utf-8")
    nb = notebook(
        git_repo / "a" / "b" / "nb.ipynb", "owned = 1\n", "ipynb,../../../victim//py:percent"
    )
    key = "a/b/nb.ipynb"
    record = {
        "version": 1,
        "pairs": {
            key: {
                "ipynb": "0" * 64,
                "py": bytes_hash(victim.read_bytes()),
                "script": "../victim/nb.py",
            }
        },
    }
    (git_repo / STATE_FILE).write_text(json.dumps(record), encoding="utf-8")
    return nb, victim, victim.read_bytes()


def test_sync_refuses_a_prefix_leaving_the_repository(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb, victim, before = hostile_pair(git_repo)
    assert main(["sync", str(git_repo)]) == 2
    err = capsys.readouterr()
    assert victim.read_bytes() == before
    assert "outside the repository" in err.out + err.err
    assert main(["sync", "--prefer", "ipynb", str(nb)]) == 2
    assert victim.read_bytes() == before


def test_pair_and_check_refuse_it_too(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb, victim, before = hostile_pair(git_repo)
    assert main(["check", str(nb)]) == 2
    plain = notebook(git_repo / "plain.ipynb")
    assert main(["pair", "--formats", "../../victim//py:percent", str(plain)]) == 2
    out = capsys.readouterr()
    assert victim.read_bytes() == before
    assert "outside the repository" in out.out + out.err
    assert not (git_repo.parent / "victim" / "plain.py").exists()


def test_check_still_scans_a_notebook_whose_pairing_is_refused(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    nb = notebook(git_repo / "nb.ipynb", f"token = '{token}'\n", "ipynb,../../x//py:percent")
    assert main(["check", "--format", "json", str(nb)]) == 2
    report = json.loads(capsys.readouterr().out)
    assert any(f["rule"].startswith("scan/") for f in report["findings"])


def test_a_script_symlinked_outside_is_never_read(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = git_repo.parent / "passwd"
    secret.write_text("# %%\nroot:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    nb = notebook(git_repo / "nb.ipynb", formats="ipynb,py:percent")
    (git_repo / "nb.py").symlink_to(secret)
    nb_before = nb.read_bytes()
    for args in (["sync", "--prefer", "py", str(nb)], ["sync", str(git_repo)], ["pair", str(nb)]):
        assert main(args) == 2
        assert nb.read_bytes() == nb_before
    assert "root:x" not in nb.read_text(encoding="utf-8")
    assert secret.read_text(encoding="utf-8").startswith("# %%\nroot")
    assert main(["pair", str(git_repo / "nb.py")]) == 2
    assert "outside the repository" in capsys.readouterr().err


def test_a_symlink_inside_the_repository_is_fine(git_repo: Path) -> None:
    nb = notebook(git_repo / "nb.ipynb")
    pair = Pair(nb, git_repo / "nb.py", parse_format("py:percent"))
    (git_repo / "real.py").write_text("", encoding="utf-8")
    (git_repo / "nb.py").symlink_to(git_repo / "real.py")
    assert contained(pair) is pair
    assert tree_root(nb) == os.path.realpath(git_repo)


def test_outside_git_the_project_root_bounds_a_pair(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text("", encoding="utf-8")
    nb = notebook(tmp_path / "proj" / "nbs" / "nb.ipynb")
    inside = Pair(
        nb, tmp_path / "proj" / "scripts" / "nb.py", parse_format("../scripts//py:percent")
    )
    assert contained(inside) is inside
    outside = Pair(nb, tmp_path / "nb.py", parse_format("../..//py:percent"))
    with pytest.raises(InputError, match="outside the repository"):
        contained(outside)


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[1, 2]",
        '{"pairs": 5}',
        '{"pairs": {"nb.ipynb": {"ipynb": 5, "py": null, "script": "../../etc/passwd"}}}',
        '{"pairs": {"nb.ipynb": "x"}}',
        "[" * 100000,
    ],
)
def test_a_hostile_record_is_ignored_with_a_warning(
    git_repo: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = notebook(git_repo / "nb.ipynb")
    assert main(["pair", str(nb)]) == 1
    (git_repo / STATE_FILE).write_text(content, encoding="utf-8")
    capsys.readouterr()
    assert main(["sync", str(nb)]) == 0  # in sync by content: nothing to do
    assert "warning:" in capsys.readouterr().err
    # the record was rewritten with a valid entry for the pair
    pairs = json.loads((git_repo / STATE_FILE).read_text(encoding="utf-8"))["pairs"]
    assert pairs["nb.ipynb"]["script"] == "nb.py"


def test_a_record_entry_for_another_script_tells_nothing(git_repo: Path) -> None:
    nb = notebook(git_repo / "nb.ipynb", formats="ipynb,py:percent")
    script = git_repo / "nb.py"
    state = SyncState()
    state.set(nb, git_repo / "elsewhere.py", "a" * 64, "b" * 64)
    assert state.get(nb) is not None
    assert state.get(nb, script) is None
    assert state.get(nb, git_repo / "elsewhere.py") is not None


def test_a_record_symlinked_outside_is_neither_read_nor_written(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = git_repo.parent / "record.json"
    outside.write_text('{"version": 1, "pairs": {}}', encoding="utf-8")
    (git_repo / STATE_FILE).symlink_to(outside)
    nb = notebook(git_repo / "nb.ipynb")
    assert main(["pair", str(nb)]) == 1
    assert outside.read_text(encoding="utf-8") == '{"version": 1, "pairs": {}}'
    assert "outside the repository" in capsys.readouterr().err
    # named on the command line, the same file is the user's choice
    assert main(["sync", "--state-file", str(outside), str(nb)]) == 0
    assert "repo/nb.ipynb" in json.loads(outside.read_text(encoding="utf-8"))["pairs"]


def test_a_configured_record_outside_the_tree_is_refused(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (git_repo / "pyproject.toml").write_text(
        '[tool.nbtools.sync]\nstate_file = "../stolen.json"\n', encoding="utf-8"
    )
    nb = notebook(git_repo / "nb.ipynb")
    assert main(["pair", str(nb)]) == 1
    assert not (git_repo.parent / "stolen.json").exists()
    assert "outside the repository" in capsys.readouterr().err


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=12,
)
HOSTILE_PATHS = st.sampled_from(
    ["nb.py", "../victim.py", "/etc/passwd", "../../x/nb.py", "nb.ipynb", "", "a\nb"]
)
ENTRY = st.fixed_dictionaries(
    {
        "ipynb": st.sampled_from(["0" * 64, "z", 5]),
        "py": st.sampled_from(["1" * 64, None]),
        "script": HOSTILE_PATHS | JSON,
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(pairs=st.dictionaries(HOSTILE_PATHS, ENTRY | JSON, max_size=4), top=JSON)
def test_fuzz_a_hostile_record_never_picks_a_path(pairs: dict[str, object], top: object) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        (repo / ".git").mkdir(parents=True)
        victim = Path(tmp) / "victim.py"
        victim.write_text("keep = 1\n", encoding="utf-8")
        nb = notebook(repo / "nb.ipynb", "x = 1\n", "ipynb,py:percent")
        document = {"version": 1, "pairs": pairs} if not isinstance(top, dict) else top
        (repo / STATE_FILE).write_text(json.dumps(document), encoding="utf-8")
        for args in (["sync", "--check", str(nb)], ["sync", str(nb)], ["check", str(nb)]):
            assert main(args) in (0, 1)
        assert victim.read_text(encoding="utf-8") == "keep = 1\n"
        assert sorted(p.name for p in Path(tmp).iterdir()) == ["repo", "victim.py"]


def test_sync_keeps_links_as_links_and_read_only_files_as_they_are(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = notebook(git_repo / "nb.ipynb", "x = 1\n")
    assert main(["pair", str(nb)]) == 1
    real = git_repo / "src" / "real.py"
    real.parent.mkdir()
    (git_repo / "nb.py").rename(real)
    (git_repo / "nb.py").symlink_to(real)
    real.write_text(real.read_text("utf-8").replace("x = 1", "x = 2"), "utf-8")
    nb.write_text(nb.read_text("utf-8").replace('"x = 1\\n"', '"x = 1\\n", "y = 3\\n"'), "utf-8")
    assert main(["sync", "--prefer", "ipynb", str(nb)]) == 1
    assert (git_repo / "nb.py").is_symlink()  # the link stays a link; its target was written
    assert "y = 3" in real.read_text("utf-8")
    # a read-only notebook is the user saying "do not change this": nothing is written
    real.write_text(real.read_text("utf-8").replace("y = 3", "y = 4"), "utf-8")
    nb.chmod(0o444)
    script_before, nb_before = real.read_bytes(), nb.read_bytes()
    capsys.readouterr()
    assert main(["sync", str(nb)]) == 2
    assert "read-only" in capsys.readouterr().err
    assert (real.read_bytes(), nb.read_bytes()) == (script_before, nb_before)
