"""``nbtools sync`` end to end: edits survive, conflicts stop, CI checks, batches go on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import make_cell, make_nb, nbtools_cli, run_git, shared_path, write_nb

from nbtools.cli import main

pytestmark = pytest.mark.git

# markdown, raw cells of every flavour, magics, cell metadata and tags, outputs, and the
# notebooks whose cell sources jupytext's round trip would change
CORPUS_SAMPLE = (
    "jupytext__The flavors of raw cells.ipynb",
    "jupytext__Notebook with metadata and long cells.ipynb",
    "jupytext__Notebook_with_R_magic.ipynb",
    "jupytext__notebook_with_complex_metadata.ipynb",
    "notebook__Working With Markdown Cells.ipynb",
    "handsonml2__tools_matplotlib.ipynb",
    "tfdocs__unicode.ipynb",
    "nbconvert__attachment.ipynb",
)


def paired_sample(git_repo: Path) -> list[Path]:
    corpus = shared_path("corpus", "public")
    work = git_repo / "nbs"
    work.mkdir()
    for name in CORPUS_SAMPLE:
        shutil.copyfile(corpus / name, work / name)  # shared/ has no write bits
    assert main(["pair", str(work)]) == 1
    return sorted(work.glob("*.ipynb"))


def first_code_line(script: Path) -> str | None:
    """The first line of code after a `# %%` marker (a line of a code cell)."""
    lines = script.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        is_code_marker = line.startswith("# %%") and "[" not in line.split("%%", 1)[1][:3]
        if (
            is_code_marker
            and n + 1 < len(lines)
            and lines[n + 1].strip()
            and not lines[n + 1].startswith("#")
        ):
            return lines[n + 1]
    for n, line in enumerate(lines):  # only cell magics (commented out in the script)
        if line.startswith("# %% language=") and lines[n + 1].startswith("# "):
            return lines[n + 1]
    return None


def edit_script(script: Path, old: str, new: str) -> None:
    text = script.read_text(encoding="utf-8")
    assert old in text
    script.write_text(text.replace(old, new, 1), encoding="utf-8")


def bump_mtime(path: Path) -> None:
    """Make a file look newer than everything else, without changing a byte."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))


def cells_by_source(nb_path: Path) -> list[dict[str, object]]:
    return json.loads(nb_path.read_bytes())["cells"]


@pytest.mark.shared
def test_script_edit_survives_a_touched_notebook(git_repo: Path) -> None:
    notebooks = paired_sample(git_repo)
    assert main(["sync", str(git_repo / "nbs")]) == 0
    edited = 0
    for nb_path in notebooks:
        script = nb_path.with_suffix(".py")
        line = first_code_line(script)
        if line is None:
            continue  # no code cell to edit
        edited += 1
        before = cells_by_source(nb_path)
        edit_script(script, line, f"{line}  # edited in the script")
        bump_mtime(nb_path)  # jupytext --sync would now take the notebook and lose the edit
        assert main(["sync", str(nb_path)]) == 1
        nb = nbformat.read(str(nb_path), as_version=4)
        nbformat.validate(nb)
        after = cells_by_source(nb_path)
        changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
        assert len(after) == len(before) and len(changed) == 1, nb_path.name
        assert "# edited in the script" in "".join(after[changed[0]]["source"])
        assert after[changed[0]].get("outputs", []) == []
        assert main(["sync", "--check", str(nb_path)]) == 0
    assert edited >= 4


@pytest.mark.shared
def test_editing_both_sides_is_a_conflict(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb_path = paired_sample(git_repo)[0]
    script = nb_path.with_suffix(".py")
    line = first_code_line(script)
    assert line is not None
    edit_script(script, line, f"{line}  # script side")
    nb = json.loads(nb_path.read_bytes())
    code = next(i for i, c in enumerate(nb["cells"]) if "".join(c["source"]).startswith(line))
    nb["cells"][code]["source"] = [f"{line}  # notebook side"]
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    files = {p: p.read_bytes() for p in (nb_path, script)}
    capsys.readouterr()
    assert main(["sync", str(nb_path)]) == 1
    out = capsys.readouterr().out
    assert {p: p.read_bytes() for p in files} == files  # nothing overwritten
    assert f"cell {code + 1}, line 1" in out and "script side" in out and "notebook side" in out
    assert f"nbtools sync --prefer py {nb_path}" in out
    assert main(["sync", "--check", "--format", "json", str(nb_path)]) == 1
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert finding["rule"] == "sync/conflict" and finding["cell_index"] == code
    disk_line = nb_path.read_text(encoding="utf-8").splitlines()[finding["json_line"] - 1]
    assert "notebook side" in disk_line
    assert (
        "script side" in script.read_text(encoding="utf-8").splitlines()[finding["script_line"] - 1]
    )
    assert main(["sync", "--prefer", "py", str(nb_path)]) == 1
    assert "script side" in "".join(json.loads(nb_path.read_bytes())["cells"][code]["source"])
    assert script.read_bytes() == files[script]
    assert main(["sync", str(nb_path)]) == 0


@pytest.mark.shared
def test_round_trip_keeps_markdown_raw_magics_metadata_and_tags(git_repo: Path) -> None:
    notebooks = paired_sample(git_repo)
    originals = {p: cells_by_source(p) for p in notebooks}
    for nb_path in notebooks:
        script = nb_path.with_suffix(".py")
        # a new cell at the end of the script: every existing cell must come back untouched
        script.write_text(
            script.read_text(encoding="utf-8") + "\n# %%\nadded = True\n", encoding="utf-8"
        )
        assert main(["sync", str(nb_path)]) == 1
        cells = cells_by_source(nb_path)
        assert cells[:-1] == originals[nb_path], nb_path.name
        assert cells[-1]["source"] in (["added = True"], "added = True")


def test_check_lists_pairs_out_of_sync_and_writes_nothing(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    assert main(["pair", str(nb_path)]) == 1
    script = git_repo / "nb.py"
    edit_script(script, "x = 1", "x = 2")
    state = git_repo / ".nbtools-sync.json"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (nb_path, script, state)}
    capsys.readouterr()
    assert main(["sync", "--check", str(git_repo)]) == 1
    captured = capsys.readouterr()
    assert (
        f"out of sync: {nb_path} (notebook updated from the script (the script changed: cell 1))"
        in captured.out
    )
    assert "1 out of sync" in captured.err
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before
    assert main(["sync", str(git_repo)]) == 1
    assert main(["sync", "--check", str(git_repo)]) == 0


def test_batch_goes_on_with_a_message_per_file(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_nb(git_repo / "good.ipynb", make_nb([make_cell("code", "x = 1")]))
    lonely = write_nb(git_repo / "lonely.ipynb", make_nb([make_cell("code", "y = 1")]))
    plain = write_nb(git_repo / "plain.ipynb", make_nb([make_cell("code", "z = 1")]))
    assert main(["pair", str(good), str(lonely)]) == 1
    (git_repo / "lonely.py").unlink()  # a notebook whose script is missing
    edit_script(git_repo / "good.py", "x = 1", "x = 2")
    module = git_repo / "module.py"  # a script without a notebook
    module.write_text("import os\n", encoding="utf-8")
    bad = git_repo / "bad.py"  # a script jupytext cannot parse
    bad.write_text(
        "# ---\n# jupyter:\n#   jupytext: [oops\n#   formats: ipynb,py:percent\n# ---\nx = 1\n",
        encoding="utf-8",
    )
    write_nb(git_repo / "bad.ipynb", make_nb([make_cell("code", "x = 1")]))
    orphan = git_repo / "orphan.py"  # paired by its header, but the notebook is gone
    orphan.write_text(
        "# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,py:percent\n# ---\n\n# %%\nx = 1\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    paths = [str(p) for p in (lonely, module, bad, orphan, plain, good)]
    assert main(["sync", *paths]) == 2
    captured = capsys.readouterr()
    # a missing script is created, as `jupytext --sync` does
    assert f"synced {lonely} (the script was missing; created it" in captured.out
    assert "y = 1" in (git_repo / "lonely.py").read_text(encoding="utf-8")
    assert f"skipped {module} (no paired notebook" in captured.out
    assert f"skipped {plain} (notebook is not paired" in captured.out
    assert f"{bad}: jupytext cannot parse it" in captured.err
    assert f"{git_repo / 'orphan.ipynb'}: paired notebook is missing" in captured.err
    assert f"synced {good}" in captured.out  # the rest of the batch was synced
    assert "x = 2" in "".join(json.loads(good.read_bytes())["cells"][0]["source"])


def test_not_utf8_script_is_reported(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    assert main(["pair", str(nb_path)]) == 1
    (git_repo / "nb.py").write_bytes(b"# %%\nx = '\xff'\n")
    assert main(["sync", str(nb_path)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_sync_and_strip_agree_in_one_pass(git_repo: Path) -> None:
    (git_repo / "pyproject.toml").write_text(
        "[tool.nbtools.sync]\nstrip = true\n\n[tool.nbtools.strip]\nextra_keys = ['metadata.celltoolbar']\n",
        encoding="utf-8",
    )
    output = {"name": "stdout", "output_type": "stream", "text": ["1\n"]}
    nb = make_nb(
        [
            make_cell("code", "x = 1", execution_count=1, outputs=[output]),
            make_cell("code", "y = 2"),
        ]
    )
    nb["metadata"]["celltoolbar"] = "Tags"
    nb_path = write_nb(git_repo / "nb.ipynb", nb)
    assert main(["pair", str(nb_path)]) == 1
    edit_script(git_repo / "nb.py", "y = 2", "y = 3")
    assert main(["sync", str(nb_path)]) == 1
    synced = json.loads(nb_path.read_bytes())
    assert synced["cells"][0]["outputs"] == [] and "celltoolbar" not in synced["metadata"]
    # the strip hook has nothing left to do, and sync has nothing either: no fight
    assert main(["strip", "--check", str(nb_path)]) == 0
    assert main(["sync", "--check", str(nb_path)]) == 0
    assert main(["sync", "--no-strip", "--check", str(nb_path)]) == 0


def test_outputs_kept_without_strip_and_notebook_change_updates_script(git_repo: Path) -> None:
    output = {"name": "stdout", "output_type": "stream", "text": ["1\n"]}
    nb = make_nb(
        [
            make_cell("code", "x = 1", execution_count=1, outputs=[output]),
            make_cell("code", "y = 2"),
        ]
    )
    nb_path = write_nb(git_repo / "nb.ipynb", nb)
    assert main(["pair", str(nb_path)]) == 1
    edit_script(git_repo / "nb.py", "y = 2", "y = 3")
    assert main(["sync", str(nb_path)]) == 1
    assert json.loads(nb_path.read_bytes())["cells"][0]["outputs"] == [output]
    script_mtime = (git_repo / "nb.py").stat().st_mtime_ns
    assert script_mtime >= nb_path.stat().st_mtime_ns  # jupytext opens pairs whose text is newest
    nb = json.loads(nb_path.read_bytes())
    nb["cells"][1]["source"] = ["y = 4"]
    nb_path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    assert main(["sync", str(git_repo / "nb.py")]) == 1  # named by its script
    assert "y = 4" in (git_repo / "nb.py").read_text(encoding="utf-8")


def test_scripts_folder_and_json_report(git_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    assert main(["pair", "--formats", "scripts//py:percent", str(nb_path)]) == 1
    script = git_repo / "scripts" / "nb.py"
    edit_script(script, "x = 1", "x = 5")
    capsys.readouterr()
    assert main(["sync", "--format", "json", str(script)]) == 1
    report = json.loads(capsys.readouterr().out)
    [entry] = report["files"]
    assert entry["status"] == "changed" and entry["action"] == "update_notebook"
    assert entry["script"] == str(script)


def test_state_file_option(git_repo: Path) -> None:
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    state = git_repo / "ci" / "sync.json"
    state.parent.mkdir()
    assert main(["pair", "--state-file", str(state), str(nb_path)]) == 1
    assert state.is_file() and not (git_repo / ".nbtools-sync.json").exists()
    assert "../nb.ipynb" in json.loads(state.read_text(encoding="utf-8"))["pairs"]
    edit_script(git_repo / "nb.py", "x = 1", "x = 2")
    bump_mtime(nb_path)
    assert main(["sync", "--state-file", str(state), str(nb_path)]) == 1
    assert "x = 2" in nb_path.read_text(encoding="utf-8")


def test_real_entry_point(git_repo: Path) -> None:
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    assert nbtools_cli("pair", str(nb_path)).returncode == 1
    proc = nbtools_cli("sync", "--check", str(git_repo))
    assert proc.returncode == 0 and b"1 in sync" in proc.stderr


def test_conflict_on_a_cell_only_in_the_script_points_at_the_script(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb_path = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    script = git_repo / "nb.py"
    script.write_text("# %%\nx = 1\n\n# %%\ny = 2\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["pair", str(nb_path)]) == 1  # paired, the differing script is kept
    assert main(["sync", str(nb_path)]) == 1
    out = capsys.readouterr().out
    assert f"{script}:5: sync/conflict a code cell (script line 5) is only in the script" in out
    assert "there is no sync record" in out


def test_unreadable_notebook_and_verbose_skips(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (git_repo / "broken.ipynb").write_text("{", encoding="utf-8")
    write_nb(git_repo / "plain.ipynb", make_nb([make_cell("code", "x = 1")]))
    (git_repo / "module.py").write_text("import os\n", encoding="utf-8")
    assert main(["sync", str(git_repo)]) == 2
    captured = capsys.readouterr()
    assert "broken.ipynb: invalid JSON" in captured.err
    assert "skipped" not in captured.out  # found by recursion: no noise about ordinary files
    assert main(["sync", "-v", str(git_repo)]) == 2
    out = capsys.readouterr().out
    assert "plain.ipynb (notebook is not paired" in out and "module.py (no paired notebook" in out


def test_jupytext_agrees_after_a_sync(git_repo: Path) -> None:
    """After nbtools updated the notebook, jupytext's own mtime-based --sync keeps the edit."""
    jupytext_cli = Path(sys.executable).with_name("jupytext")
    if not jupytext_cli.exists():
        pytest.skip("jupytext command not installed")
    output = {"name": "stdout", "output_type": "stream", "text": ["1\n"]}
    nb = make_nb(
        [
            make_cell("code", "x = 1", execution_count=1, outputs=[output]),
            make_cell("code", "y = 2"),
        ]
    )
    nb_path = write_nb(git_repo / "nb.ipynb", nb)
    assert main(["pair", str(nb_path)]) == 1
    edit_script(git_repo / "nb.py", "y = 2", "y = 3")
    bump_mtime(nb_path)
    assert main(["sync", str(nb_path)]) == 1
    proc = subprocess.run(
        [str(jupytext_cli), "--sync", str(nb_path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    nb_after = nbformat.read(str(nb_path), as_version=4)
    assert nb_after.cells[1].source == "y = 3" and nb_after.cells[0].outputs[0]["text"] == "1\n"
    assert "y = 3" in (git_repo / "nb.py").read_text(encoding="utf-8")


def test_a_missing_script_is_created_and_check_agrees(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = write_nb(git_repo / "nb.ipynb", make_nb([make_cell("code", "x = 1")]))
    assert main(["pair", "--formats", "scripts//py:percent", str(nb)]) == 1
    script = git_repo / "scripts" / "nb.py"
    expected = script.read_bytes()
    script.unlink()
    script.parent.rmdir()
    nb_before = nb.read_bytes()
    assert main(["sync", "--check", str(nb)]) == 1
    assert main(["check", "--select", "sync", str(nb)]) == 1
    assert not script.exists()
    assert main(["sync", str(nb)]) == 1
    assert script.read_bytes() == expected
    assert nb.read_bytes() == nb_before
    assert main(["sync", "--check", str(nb)]) == 0
    assert main(["check", "--select", "sync", str(nb)]) == 0


def jupytext_pair(repo: Path, name: str = "nb") -> tuple[Path, Path]:
    """A pair made by the jupytext CLI and committed: no sync record anywhere."""
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1")]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = repo / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    subprocess.run(
        [sys.executable, "-m", "jupytext", "--set-formats", "ipynb,py:percent", str(path)],
        check=True,
        capture_output=True,
    )
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-qm", "pair")
    return path, repo / f"{name}.py"


def test_without_a_record_the_committed_pair_is_the_base(
    git_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb, script = jupytext_pair(git_repo)
    edit_script(script, "x = 1", "x = 2")
    assert main(["sync", "--check", str(nb)]) == 1  # out of sync, not a conflict
    assert main(["check", "--select", "sync", str(nb)]) == 1
    assert "sync/conflict" not in capsys.readouterr().out
    assert main(["sync", str(nb)]) == 1
    assert "only the script changed since the version staged in git" in capsys.readouterr().out
    assert "x = 2" in "".join(cells_by_source(nb)[1]["source"])  # type: ignore[arg-type]
    assert main(["sync", "--check", str(nb)]) == 0


def test_a_staged_edit_is_decided_against_head(git_repo: Path) -> None:
    nb, script = jupytext_pair(git_repo)
    edit_script(script, "x = 1", "x = 3")
    run_git(git_repo, "add", str(script))  # as under pre-commit: the edit is in the index
    assert main(["sync", str(nb)]) == 1
    assert "x = 3" in "".join(cells_by_source(nb)[1]["source"])  # type: ignore[arg-type]


def test_without_a_record_a_notebook_edit_wins_and_both_is_a_conflict(git_repo: Path) -> None:
    nb, script = jupytext_pair(git_repo)
    data = json.loads(nb.read_bytes())
    data["cells"][1]["source"] = ["x = 10"]
    data["cells"][1]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["10\n"]}]
    nb.write_text(json.dumps(data, indent=1), encoding="utf-8")
    assert main(["sync", str(nb)]) == 1
    assert "x = 10" in script.read_text(encoding="utf-8")
    run_git(git_repo, "commit", "-qam", "both synced")
    edit_script(script, "x = 10", "x = 11")
    data["cells"][1]["source"] = ["x = 12"]
    nb.write_text(json.dumps(data, indent=1), encoding="utf-8")
    (git_repo / ".nbtools-sync.json").unlink()
    assert main(["sync", str(nb)]) == 1
    assert "x = 11" in script.read_text(encoding="utf-8")  # nothing written
    assert main(["sync", "--check", str(nb)]) == 1


def test_outputs_run_in_jupyter_do_not_count_as_a_notebook_edit(git_repo: Path) -> None:
    nb, script = jupytext_pair(git_repo)
    data = json.loads(nb.read_bytes())
    data["cells"][1]["execution_count"] = 1
    data["cells"][1]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["1\n"]}]
    nb.write_text(json.dumps(data, indent=1), encoding="utf-8")
    edit_script(script, "x = 1", "x = 1\ny = 2")
    assert main(["sync", str(nb)]) == 1
    assert "y = 2" in "".join(cells_by_source(nb)[1]["source"])  # type: ignore[arg-type]
