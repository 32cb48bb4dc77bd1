"""Stories about the command-line frame: paths, odd files, settings, file modes, reports."""

from __future__ import annotations

from pathlib import Path

from story import code, commit_all, git, jupyter_notebook, markdown, nbtools, stream


def test_a_typo_in_a_ci_path_fails_the_job_and_the_rest_is_still_checked(git_repo: Path) -> None:
    # the CI job lists two folders; one was renamed and the workflow still names the old one
    jupyter_notebook(git_repo / "notebooks" / "eda.ipynb", [code("print(1)", [stream("1\n")], 1)])
    commit_all(git_repo)
    proc = nbtools("check", "notebooks", "notebok", cwd=git_repo)
    assert proc.returncode == 2
    assert "notebok: no such file or directory" in proc.stderr
    assert "notebooks/eda.ipynb" in proc.stdout  # the real folder was still checked
    # the user fixes the workflow: the job now fails only for what the notebook holds
    proc = nbtools("check", "notebooks", cwd=git_repo)
    assert proc.returncode == 1 and "no such file" not in proc.stderr


def test_one_odd_notebook_does_not_stop_the_batch(git_repo: Path) -> None:
    # an extension stored a 5000-digit integer in one notebook's metadata
    odd = jupyter_notebook(git_repo / "a_odd.ipynb", [code("x = 1")])
    text = odd.read_text().replace(
        '"kernelspec": {', '"seed": ' + "7" * 5000 + ',\n  "kernelspec": {'
    )
    odd.write_text(text)
    jupyter_notebook(git_repo / "b_work.ipynb", [code("print(1)", [stream("1\n")], 1)])
    commit_all(git_repo)
    proc = nbtools("strip", ".", cwd=git_repo)
    assert proc.returncode == 2
    assert "a_odd.ipynb: " in proc.stderr and "4300 digits" in proc.stderr
    assert "fixed ./b_work.ipynb" in proc.stdout
    assert odd.read_text() == text
    proc = nbtools("check", ".", cwd=git_repo)
    assert proc.returncode == 2 and "b_work" not in proc.stdout  # stripped: clean now
    proc = nbtools("scan", ".", cwd=git_repo)
    assert proc.returncode == 2 and "a_odd.ipynb" in proc.stderr


def test_a_malformed_notebook_is_named_with_its_pointer_and_the_rest_is_processed(
    git_repo: Path,
) -> None:
    import json

    # a hand-resolved merge left one cell's metadata as a list
    broken = jupyter_notebook(git_repo / "a_merged.ipynb", [code("a = 1"), code("b = 2")])
    nb = json.loads(broken.read_text())
    nb["cells"][1]["metadata"] = ["tags"]
    broken.write_text(json.dumps(nb, indent=1))
    before = broken.read_bytes()
    jupyter_notebook(git_repo / "b_work.ipynb", [code("print(1)", [stream("1\n")], 1)])
    commit_all(git_repo)
    for command in (["strip"], ["check"], ["scan"]):
        proc = nbtools(*command, ".", cwd=git_repo)
        assert proc.returncode == 2, proc.stderr
        assert "a_merged.ipynb: /cells/1/metadata: expected an object, got a list" in proc.stderr
    assert broken.read_bytes() == before
    assert nbtools("strip", "--check", "b_work.ipynb", cwd=git_repo).returncode == 0  # stripped
    # the user repairs the cell, strips it like the others, and everything passes
    nb["cells"][1]["metadata"] = {}
    broken.write_text(json.dumps(nb, indent=1))
    assert nbtools("strip", ".", cwd=git_repo).returncode == 1
    assert nbtools("check", ".", cwd=git_repo).returncode == 0


def test_a_wrong_config_type_names_the_key(git_repo: Path) -> None:
    jupyter_notebook(git_repo / "nb.ipynb", [code("a = 1")])
    (git_repo / "pyproject.toml").write_text("[tool.nbtools]\nexclude = 5\n")
    proc = nbtools("check", ".", cwd=git_repo)
    assert proc.returncode == 2 and "tool.nbtools.exclude must be a list, not int" in proc.stderr
    (git_repo / "pyproject.toml").write_text('[tool.nbtools]\nexclude = ["legacy/**"]\n')
    assert nbtools("strip", ".", cwd=git_repo).returncode == 1
    assert nbtools("check", ".", cwd=git_repo).returncode == 0


def _dirty_repo(repo: Path) -> Path:
    path = jupyter_notebook(repo / "nb.ipynb", [code("print(1)", [stream("1\n")], 1)])
    commit_all(repo)
    return path


def test_format_from_pyproject_applies_to_strip_like_every_command(git_repo: Path) -> None:
    import json

    _dirty_repo(git_repo)
    (git_repo / "pyproject.toml").write_text('[tool.nbtools]\nformat = "json"\n')
    proc = nbtools("strip", "--check", "nb.ipynb", cwd=git_repo)
    assert proc.returncode == 1
    assert {f["rule"] for f in json.loads(proc.stdout)["findings"]} >= {"strip/outputs"}
    proc = nbtools("strip", "nb.ipynb", "--output", "report.json", cwd=git_repo)
    assert proc.returncode == 1 and proc.stdout == ""
    report = json.loads((git_repo / "report.json").read_text())
    assert [(f["path"], f["status"]) for f in report["files"]] == [("nb.ipynb", "changed")]
    assert json.loads(nbtools("check", "nb.ipynb", cwd=git_repo).stdout)["exit_code"] == 0


def test_quiet_strip_says_nothing_about_what_it_fixed(git_repo: Path) -> None:
    _dirty_repo(git_repo)
    proc = nbtools("strip", "-q", ".", cwd=git_repo)
    assert proc.returncode == 1 and proc.stdout == "" and proc.stderr == ""
    jupyter_notebook(git_repo / "nb.ipynb", [code("print(2)", [stream("2\n")], 1)])
    proc = nbtools("strip", "-q", "--check", ".", cwd=git_repo)
    assert proc.returncode == 1 and proc.stdout.startswith("would fix ./nb.ipynb")
    proc = nbtools("strip", "-qq", "--check", ".", cwd=git_repo)
    assert proc.returncode == 1 and proc.stdout == ""


def test_color_from_pyproject_beats_the_environment(git_repo: Path) -> None:
    _dirty_repo(git_repo)
    (git_repo / "pyproject.toml").write_text('[tool.nbtools]\ncolor = "never"\n')
    proc = nbtools("check", ".", cwd=git_repo, env={"FORCE_COLOR": "1"})
    assert proc.returncode == 1 and "strip/outputs" in proc.stdout and "\x1b[" not in proc.stdout
    (git_repo / "pyproject.toml").write_text('[tool.nbtools]\ncolor = "always"\n')
    assert "\x1b[" in nbtools("check", ".", cwd=git_repo).stdout


def test_files_nbtools_creates_are_readable_by_the_team(git_repo: Path) -> None:
    import os
    import stat

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    old = os.umask(0o022)  # the usual umask; children inherit it
    try:
        jupyter_notebook(git_repo / "eda.ipynb", [code("x = 1")])
        (git_repo / "secrets.env").write_text(
            "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        )
        assert nbtools("pair", "eda.ipynb", cwd=git_repo).returncode == 1
        (git_repo / "eda.py").write_text((git_repo / "eda.py").read_text() + "\n# %%\ny = 2\n")
        assert nbtools("sync", "eda.ipynb", cwd=git_repo).returncode == 1
        nbtools(
            "scan", "--baseline", ".nbtools-baseline.json", "--update-baseline", ".", cwd=git_repo
        )
        for name in ("eda.py", ".nbtools-sync.json", ".nbtools-baseline.json"):
            assert mode(git_repo / name) == 0o644, name
        # a notebook the team made group-writable stays so when nbtools rewrites it
        os.chmod(git_repo / "eda.ipynb", 0o664)
        (git_repo / "eda.py").write_text((git_repo / "eda.py").read_text() + "\n# %%\nz = 3\n")
        assert nbtools("sync", "eda.ipynb", cwd=git_repo).returncode == 1
        assert mode(git_repo / "eda.ipynb") == 0o664
    finally:
        os.umask(old)


def test_a_hostile_file_name_in_a_pull_request_cannot_write_workflow_commands(
    git_repo: Path, tmp_path: Path
) -> None:
    # a pull request adds a notebook whose name carries a forged annotation
    name = "nb\n::warning file=README.md,line=1::Approved by the security team.ipynb"
    jupyter_notebook(git_repo / name, [code("print(1)", [stream("1\n")], 1)])
    jupyter_notebook(git_repo / "##[error]x.ipynb", [code("x = 1")])
    commit_all(git_repo)
    summary = tmp_path / "summary.md"
    proc = nbtools(
        "check", "--format", "github", ".", cwd=git_repo, env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert proc.returncode == 1
    for line in (proc.stdout + proc.stderr).splitlines():
        assert not line.strip().startswith("::warning"), line
        assert "##[" not in line, line
    annotations = [line for line in proc.stdout.splitlines() if line.startswith("::error ")]
    assert any(
        "nb%0A%3A%3Awarning file=README.md%2Cline=1%3A%3AApproved" in line for line in annotations
    )
    rows = [r for r in summary.read_text().splitlines() if r.startswith("| ")]
    assert len(rows) == 4  # header, rule, two notebooks


def test_strip_keeps_links_and_leaves_read_only_notebooks_alone(
    git_repo: Path, tmp_path: Path
) -> None:
    import os

    # the team keeps one notebook in shared/ and links it from two projects
    shared = jupyter_notebook(
        git_repo / "shared" / "eda.ipynb", [code("print(1)", [stream("1\n")], 1)]
    )
    (git_repo / "proj").mkdir()
    (git_repo / "proj" / "eda.ipynb").symlink_to(os.path.join("..", "shared", "eda.ipynb"))
    # a pull request adds a link to a notebook outside the checkout
    victim = jupyter_notebook(tmp_path / "home" / "private.ipynb", [code("x", [stream("s\n")], 1)])
    (git_repo / "proj" / "evil.ipynb").symlink_to(victim)
    # and a reference notebook is kept read-only on purpose
    ref = jupyter_notebook(git_repo / "ref.ipynb", [code("y", [stream("r\n")], 2)])
    ref.chmod(0o444)
    victim_before, ref_before = victim.read_bytes(), ref.read_bytes()
    commit_all(git_repo)
    proc = nbtools("strip", "proj", "ref.ipynb", cwd=git_repo)
    assert proc.returncode == 2
    assert "proj/evil.ipynb: cannot write: a symbolic link to" in proc.stderr
    assert "ref.ipynb: cannot write: read-only file; not rewritten" in proc.stderr
    assert (git_repo / "proj" / "eda.ipynb").is_symlink() and "fixed proj/eda.ipynb" in proc.stdout
    assert '"outputs": []' in shared.read_text()
    assert victim.read_bytes() == victim_before and ref.read_bytes() == ref_before
    assert oct(ref.stat().st_mode & 0o777) == oct(0o444)
    # git still sees a link, not a file that replaced it
    assert "typechange" not in git(git_repo, "status").stdout


def test_a_hand_edited_key_keeps_its_spacing_when_strip_rewrites_the_file(git_repo: Path) -> None:
    import base64

    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(64)).decode()
    cell = markdown("![logo](attachment:logo.png)")
    cell.attachments = {"logo.png": {"image/png": png}}
    path = jupyter_notebook(git_repo / "nb.ipynb", [cell, code("print(1)", [stream("1\n")], 1)])
    # someone fixed a merge by hand and spaced one key their own way
    path.write_text(path.read_text().replace('"attachments": {', '"attachments" : {'))
    commit_all(git_repo)
    assert nbtools("strip", "nb.ipynb", cwd=git_repo).returncode == 1
    assert '"attachments" : {' in path.read_text()
    diff = git(git_repo, "diff", "-U0", "nb.ipynb").stdout
    removed = [
        line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")
    ]
    assert removed and not any("attachments" in line for line in removed)
    assert nbtools("check", "nb.ipynb", cwd=git_repo).returncode == 0
