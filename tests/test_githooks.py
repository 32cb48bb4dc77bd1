"""Plain git hooks: shipped scripts, ``nbtools install --hooks``, and real commits and pushes."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, make_cell, make_nb, run_git, write_nb

from nbtools.cli import main
from nbtools.githooks import (
    HOOK_NAMES,
    Hooks,
    hook_command,
    hooks_dir,
    is_ours,
    render_hook,
    template,
)
from nbtools.gitsetup import find_repo

pytestmark = pytest.mark.git

NBTOOLS = f"{shlex.quote(sys.executable)} -m nbtools"
STREAM = {"name": "stdout", "output_type": "stream", "text": ["hi\n"]}


def _dirty(repo: Path, name: str = "nb.ipynb") -> Path:
    return write_nb(
        repo / name,
        make_nb([make_cell(source="x = 1\nprint(x)", execution_count=1, outputs=[STREAM])]),
    )


@pytest.mark.parametrize("name", HOOK_NAMES)
def test_repository_hooks_are_the_packaged_ones(name: str) -> None:
    """hooks/ (for copying by hand) and nbtools/data (what install writes) never drift."""
    assert (REPO / "hooks" / name).read_text(encoding="utf-8") == template(name)
    assert os.access(REPO / "hooks" / name, os.X_OK)
    assert template(name).startswith("#!/bin/sh\n")


@pytest.mark.parametrize(
    ("command", "line"),
    [
        ("nbtools", "NBTOOLS_DEFAULT=nbtools\n"),
        ("python3 -m nbtools", "NBTOOLS_DEFAULT='python3 -m nbtools'\n"),
        ("/opt/my env/bin/nbtools", "NBTOOLS_DEFAULT='/opt/my env/bin/nbtools'\n"),
    ],
)
def test_render_hook_sets_the_command(command: str, line: str) -> None:
    assert line in render_hook("pre-commit", command)


def test_installed_hooks_run_this_interpreter(git_repo: Path) -> None:
    Hooks().install(find_repo(git_repo))
    text = (git_repo / ".git" / "hooks" / "pre-commit").read_text(encoding="utf-8")
    assert hook_command(text) == NBTOOLS
    assert f"NBTOOLS_DEFAULT={shlex.quote(NBTOOLS)}\n" in text


def test_hook_status_says_when_the_interpreter_is_gone(git_repo: Path) -> None:
    repo = find_repo(git_repo)
    Hooks("'/old env/bin/python' -m nbtools").install(repo)
    found = Hooks().status(repo)
    assert [a.state for a in found] == ["conflict", "conflict"]
    assert "/old env/bin/python does not exist" in found[0].detail


def _install_hooks_only(repo: Path) -> None:
    actions = Hooks(NBTOOLS).install(find_repo(repo))
    assert [a.state for a in actions] == ["added", "added"]


def test_hooks_component_install_status_uninstall(git_repo: Path) -> None:
    repo = find_repo(git_repo)
    hooks = Hooks(NBTOOLS)
    assert [a.state for a in hooks.status(repo)] == ["missing", "missing"]
    assert [a.state for a in hooks.install(repo)] == ["added", "added"]
    for name in HOOK_NAMES:
        path = git_repo / ".git" / "hooks" / name
        assert os.access(path, os.X_OK) and is_ours(path)
    assert [a.state for a in hooks.status(repo)] == ["installed", "installed"]
    assert [a.state for a in hooks.install(repo)] == ["unchanged", "unchanged"]
    # status accepts the hooks of another command that runs nbtools, and says when one cannot
    assert [a.state for a in Hooks("other").status(repo)] == ["installed", "installed"]
    assert [a.state for a in Hooks("other").install(repo)] == ["updated", "updated"]
    gone = hooks.status(repo)
    assert [a.state for a in gone] == ["conflict", "conflict"]
    assert "other is not on PATH" in gone[0].detail
    assert [a.state for a in hooks.uninstall(repo)] == ["removed", "removed"]
    assert not (git_repo / ".git" / "hooks" / "pre-commit").exists()


def test_foreign_hooks_are_never_touched(git_repo: Path) -> None:
    repo = find_repo(git_repo)
    foreign = git_repo / ".git" / "hooks" / "pre-commit"
    foreign.parent.mkdir(parents=True, exist_ok=True)
    foreign.write_text("#!/bin/sh\necho mine\n", encoding="utf-8")
    actions = Hooks().install(repo)
    assert actions[0].state == "conflict"
    assert actions[1].state == "added"
    assert foreign.read_text(encoding="utf-8") == "#!/bin/sh\necho mine\n"
    Hooks().uninstall(repo)
    assert foreign.exists()


def test_core_hooks_path_is_honoured(git_repo: Path) -> None:
    run_git(git_repo, "config", "core.hooksPath", "githooks")
    repo = find_repo(git_repo)
    assert hooks_dir(repo) == git_repo / "githooks"
    Hooks().install(repo)
    assert (git_repo / "githooks" / "pre-commit").exists()


def test_install_hooks_through_the_cli(git_repo: Path, capsys: Any) -> None:
    assert main(["install", "--hooks", "--command", NBTOOLS, str(git_repo)]) == 0
    out = capsys.readouterr().out
    assert ".git/hooks/pre-commit" in out and ".git/hooks/pre-push" in out
    assert main(["install", "--status", "--hooks", "--command", NBTOOLS, str(git_repo)]) == 0
    assert main(["install", "--uninstall", "--hooks", str(git_repo)]) == 0
    assert not (git_repo / ".git" / "hooks" / "pre-push").exists()


def test_pre_commit_hook_strips_and_blocks_then_passes(git_repo: Path) -> None:
    _install_hooks_only(git_repo)
    nb = _dirty(git_repo, "my nb.ipynb")  # a space in the name goes through xargs -0
    run_git(git_repo, "add", "my nb.ipynb")
    first = run_git(git_repo, "commit", "-m", "add", check=False)
    assert first.returncode != 0, first.stdout + first.stderr
    assert "fixed my nb.ipynb" in first.stdout + first.stderr
    assert '"outputs": []' in nb.read_text(encoding="utf-8")  # left stripped
    run_git(git_repo, "add", "my nb.ipynb")
    second = run_git(git_repo, "commit", "-m", "add", check=False)
    assert second.returncode == 0, second.stdout + second.stderr
    assert run_git(git_repo, "log", "--oneline").stdout.count("\n") == 1


def test_pre_commit_hook_ignores_commits_without_notebooks(git_repo: Path) -> None:
    _install_hooks_only(git_repo)
    (git_repo / "README.md").write_text("hi\n", encoding="utf-8")
    run_git(git_repo, "add", "README.md")
    assert run_git(git_repo, "commit", "-m", "readme", check=False).returncode == 0


def test_pre_commit_hook_with_the_filter_only_checks(git_repo: Path) -> None:
    """With the nbtools filter, git stores notebooks stripped; the working copy keeps outputs."""
    assert main(["install", "--hooks", "--command", NBTOOLS, str(git_repo)]) == 0
    nb = _dirty(git_repo)
    run_git(git_repo, "add", ".gitattributes", "nb.ipynb")
    done = run_git(git_repo, "commit", "-m", "add", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"output_type"' in nb.read_text(encoding="utf-8")
    assert '"output_type"' not in run_git(git_repo, "show", "HEAD:nb.ipynb").stdout
    # a hidden-state problem still stops the commit
    write_nb(
        git_repo / "bad.ipynb", make_nb([make_cell(source="print(y)"), make_cell(source="y = 1")])
    )
    run_git(git_repo, "add", "bad.ipynb")
    blocked = run_git(git_repo, "commit", "-m", "bad", check=False)
    assert blocked.returncode != 0
    assert "hidden-state/use-before-def" in blocked.stdout + blocked.stderr


@pytest.mark.kernel  # the hook runs `nbtools run` too
@pytest.mark.slow
def test_pre_push_hook_checks_pushed_notebooks(git_repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    run_git(tmp_path, "init", "-q", "--bare", str(remote))
    run_git(git_repo, "remote", "add", "origin", str(remote))
    write_nb(git_repo / "ok.ipynb", make_nb([make_cell(source="x = 1")]))
    run_git(git_repo, "add", "ok.ipynb")
    run_git(git_repo, "commit", "-m", "ok")
    _install_hooks_only(git_repo)
    pushed = run_git(git_repo, "push", "-q", "origin", "main", check=False)
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    write_nb(
        git_repo / "bad.ipynb", make_nb([make_cell(source="print(z)"), make_cell(source="z = 1")])
    )
    run_git(git_repo, "add", "bad.ipynb")
    run_git(git_repo, "commit", "--no-verify", "-m", "bad")
    blocked = run_git(git_repo, "push", "-q", "origin", "main", check=False)
    assert blocked.returncode != 0
    assert "bad.ipynb" in blocked.stdout + blocked.stderr
    assert "ok.ipynb" not in blocked.stdout  # only what the push changes is checked


def test_hook_scripts_ship_as_package_data() -> None:
    """An installed nbtools (no checkout) can still install its hooks."""
    import fnmatch

    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["nbtools"]
    for name in HOOK_NAMES:
        assert any(fnmatch.fnmatch(f"data/hook-{name}", p) for p in patterns)
        assert (REPO / "nbtools" / "data" / f"hook-{name}").is_file()


TOKEN = "ghp_" + "R8x2mQ7vLk3NpZ9tWc4YbH6sJd1FgA5eUo0i"


def _printed_token(repo: Path, name: str = "nb.ipynb", **meta: Any) -> Path:
    cell = make_cell(
        source="import os\nprint(os.environ['GH_TOKEN'])",
        execution_count=1,
        outputs=[{**STREAM, "text": [TOKEN + "\n"]}],
    )
    cell["metadata"].update(meta)
    return write_nb(repo / name, make_nb([cell]))


def test_uninstall_removes_our_hooks_without_the_hooks_flag(git_repo: Path, capsys: Any) -> None:
    assert main(["install", "--hooks", str(git_repo)]) == 0
    hooks = git_repo / ".git" / "hooks"
    mine = hooks / "pre-push"
    mine.unlink()
    mine.write_text("#!/bin/sh\necho my own pre-push\n", encoding="utf-8")  # the user's own
    capsys.readouterr()
    assert main(["install", "--status", str(git_repo)]) == 0  # ours shown without --hooks
    out = capsys.readouterr().out
    assert "installed .git/hooks/pre-commit" in out and "pre-push" not in out
    assert main(["install", "--uninstall", str(git_repo)]) == 0
    out = capsys.readouterr().out
    assert "removed .git/hooks/pre-commit" in out and "pre-push" not in out
    assert not (hooks / "pre-commit").exists()
    assert mine.read_text(encoding="utf-8") == "#!/bin/sh\necho my own pre-push\n"
    # a plain install never adds hooks, and leaves the user's alone
    assert main(["install", str(git_repo)]) == 0
    assert not (hooks / "pre-commit").exists()
    assert mine.read_text(encoding="utf-8") == "#!/bin/sh\necho my own pre-push\n"


def test_install_again_updates_the_hooks_it_wrote(git_repo: Path) -> None:
    assert (
        main(["install", "--hooks", "--command", "'/old env/python' -m nbtools", str(git_repo)])
        == 0
    )
    assert main(["install", str(git_repo)]) == 0  # repairs the filter and our hooks alike
    for name in HOOK_NAMES:
        text = (git_repo / ".git" / "hooks" / name).read_text(encoding="utf-8")
        assert hook_command(text) == NBTOOLS
    assert main(["install", "--status", "--hooks", str(git_repo)]) == 0


def test_check_staged_reads_the_index_and_notes_stripped_secrets(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(git_repo)
    assert main(["install", "-q"]) == 0
    _printed_token(git_repo)
    run_git(git_repo, "add", "nb.ipynb")
    capsys.readouterr()
    assert main(["filter", "--check-staged", "nb.ipynb"]) == 0  # the commit holds no token
    out = capsys.readouterr().out
    assert "filter/stripped-secret" in out and "rotate it" in out
    assert "scan/github-token" in out  # says which credential
    # a token the filter keeps (a keep_output cell) is in the commit: it blocks
    _printed_token(git_repo, "kept.ipynb", tags=["keep_output"])
    run_git(git_repo, "add", "kept.ipynb")
    assert main(["filter", "--check-staged", "kept.ipynb"]) == 1
    out = capsys.readouterr().out
    assert "kept.ipynb:cell 1:output 1:1: scan/github-token" in out
    assert "stripped-secret" not in out
    # only what is staged counts: an unstaged edit of the source is not checked
    write_nb(git_repo / "nb.ipynb", make_nb([make_cell(source="print(y)\ny = 1")]))
    assert main(["filter", "--check-staged", "nb.ipynb"]) == 0


def test_pre_commit_hook_with_the_filter_reports_stripped_secrets_without_blocking(
    git_repo: Path,
) -> None:
    assert main(["install", "--hooks", str(git_repo)]) == 0
    _printed_token(git_repo)
    run_git(git_repo, "add", ".gitattributes", "nb.ipynb")
    done = run_git(git_repo, "commit", "-m", "add", check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rotate it" in done.stdout + done.stderr
    assert TOKEN not in run_git(git_repo, "show", "HEAD:nb.ipynb").stdout
    # a token pasted into the source would be committed: that blocks
    write_nb(git_repo / "leak.ipynb", make_nb([make_cell(source=f"token = '{TOKEN}'")]))
    run_git(git_repo, "add", "leak.ipynb")
    blocked = run_git(git_repo, "commit", "-m", "leak", check=False)
    assert blocked.returncode != 0
    assert "leak.ipynb:cell 1:1: scan/github-token" in blocked.stdout + blocked.stderr


@pytest.fixture
def umask_022() -> Any:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o7777


def test_files_install_creates_follow_git_conventions(git_repo: Path, umask_022: Any) -> None:
    assert main(["install", "--hooks", str(git_repo)]) == 0
    assert _mode(git_repo / ".gitattributes") == 0o644
    for name in HOOK_NAMES:
        assert _mode(git_repo / ".git" / "hooks" / name) == 0o755
    assert main(["install", "--attributes", "local", str(git_repo)]) == 0
    assert _mode(git_repo / ".git" / "info" / "attributes") == 0o644


def test_new_files_follow_a_strict_umask(git_repo: Path) -> None:
    old = os.umask(0o077)
    try:
        assert main(["install", "--hooks", str(git_repo)]) == 0
    finally:
        os.umask(old)
    assert _mode(git_repo / ".gitattributes") == 0o600
    assert _mode(git_repo / ".git" / "hooks" / "pre-commit") == 0o700


def test_replaced_files_keep_their_mode(git_repo: Path, umask_022: Any) -> None:
    attributes = git_repo / ".gitattributes"
    attributes.write_text("*.png binary\n", encoding="utf-8")
    attributes.chmod(0o664)  # a group-writable checkout
    hook = git_repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(render_hook("pre-commit", "'/old env/python' -m nbtools"), encoding="utf-8")
    hook.chmod(0o750)
    assert main(["install", "--hooks", str(git_repo)]) == 0
    assert hook_command(hook.read_text(encoding="utf-8")) == NBTOOLS  # updated
    assert _mode(hook) == 0o750
    assert attributes.read_text(encoding="utf-8").endswith("filter=nbtools diff=nbtools\n")
    assert _mode(attributes) == 0o664
    assert main(["install", "--uninstall", str(git_repo)]) == 0
    assert attributes.read_text(encoding="utf-8") == "*.png binary\n"
    assert _mode(attributes) == 0o664
    # a hook of ours that lost its execute bits gets them back (git skips it otherwise)
    assert main(["install", "--hooks", str(git_repo)]) == 0
    hook.chmod(0o640)
    assert main(["install", "--hooks", str(git_repo)]) == 0
    assert _mode(hook) == 0o750


def test_pre_push_hook_with_the_filter_checks_the_pushed_commits(
    git_repo: Path, tmp_path: Path
) -> None:
    """What is pushed is the commits' (stripped) blobs, not the working copies' outputs."""
    assert main(["install", "--hooks", str(git_repo)]) == 0
    _printed_token(git_repo)
    run_git(git_repo, "add", "-A")
    run_git(git_repo, "commit", "-q", "-m", "token printed")
    # NBTOOLS without `run` (no kernels here): the hook then only checks
    wrapper = tmp_path / "nbtools-no-run"
    wrapper.write_text(
        f'#!/bin/sh\n[ "$1" = run ] && exit 1\nexec {NBTOOLS} "$@"\n', encoding="utf-8"
    )
    wrapper.chmod(0o755)
    env = {**os.environ, "NBTOOLS": shlex.quote(str(wrapper))}
    hook = str(git_repo / ".git" / "hooks" / "pre-push")

    def push() -> subprocess.CompletedProcess[str]:
        """The hook as `git push` runs it for a new branch (no remote sha)."""
        head = run_git(git_repo, "rev-parse", "HEAD").stdout.strip()
        line = f"refs/heads/main {head} refs/heads/main {'0' * 40}\n"
        return subprocess.run(
            [hook, "origin", "url"],
            cwd=git_repo,
            input=line,
            text=True,
            capture_output=True,
            env=env,
            check=False,
        )

    first = push()
    assert first.returncode == 0, first.stdout + first.stderr
    assert "scan/github-token" not in first.stdout
    write_nb(
        git_repo / "bad.ipynb", make_nb([make_cell(source="print(z)"), make_cell(source="z = 1")])
    )
    run_git(git_repo, "add", "bad.ipynb")
    run_git(git_repo, "commit", "-q", "--no-verify", "-m", "bad")
    second = push()
    assert second.returncode == 1
    assert "bad.ipynb:cell 1" in second.stdout and "hidden-state/use-before-def" in second.stdout
    assert "scan/github-token" not in second.stdout
