"""Stories of the git integration: ``nbtools install`` (filter, diff driver, plain hooks), then git
as a user runs it, from a terminal, an IDE or a GUI client whose PATH knows no virtualenv."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from story import code, commit_all, git, jupyter_notebook, markdown, nbtools, stream

pytestmark = pytest.mark.git

#: what a GUI git client or a login shell without the venv activated has
BARE_PATH = "/usr/bin:/bin"


def bare_git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """git run the way an IDE runs it: no virtualenv, no ``nbtools`` on PATH."""
    program = shutil.which("git")
    assert program is not None
    env = {k: v for k, v in os.environ.items() if k not in ("PATH", "VIRTUAL_ENV")}
    env["PATH"] = BARE_PATH
    return subprocess.run(
        [program, *args], cwd=repo, env=env, text=True, capture_output=True, check=False
    )


def staged(repo: Path, path: str) -> Any:
    return json.loads(git(repo, "show", f":{path}").stdout)


def analysis(repo: Path, name: str = "analysis.ipynb") -> Path:
    return jupyter_notebook(
        repo / name,
        [markdown("# Analysis"), code("total = 40 + 2\nprint(total)", [stream("42\n")], count=1)],
    )


def test_filter_and_hooks_work_from_a_git_client_without_the_venv(git_repo: Path) -> None:
    if shutil.which("nbtools", path=BARE_PATH):
        pytest.skip("nbtools is installed system-wide: a bare PATH finds it anyway")
    nb = analysis(git_repo)
    on_disk = nb.read_bytes()
    assert nbtools("install", "--hooks", cwd=git_repo).returncode == 0

    added = bare_git(git_repo, "add", "-A")
    assert added.returncode == 0, added.stderr
    assert "not found" not in added.stderr
    cell = staged(git_repo, "analysis.ipynb")["cells"][1]
    assert (cell["outputs"], cell["execution_count"]) == ([], None)
    assert nb.read_bytes() == on_disk  # the working copy keeps its outputs
    committed = bare_git(git_repo, "commit", "-q", "-m", "analysis")
    assert committed.returncode == 0, committed.stdout + committed.stderr

    # the pre-commit hook really runs nbtools from there too: a hidden-state bug stops the commit
    jupyter_notebook(git_repo / "bad.ipynb", [code("print(y)"), code("y = 1")])
    assert bare_git(git_repo, "add", "bad.ipynb").returncode == 0
    blocked = bare_git(git_repo, "commit", "-q", "-m", "bad")
    assert blocked.returncode != 0
    assert "hidden-state/use-before-def" in blocked.stdout + blocked.stderr


def test_status_notices_a_moved_environment_and_install_repairs_it(
    git_repo: Path, tmp_path: Path
) -> None:
    # an environment in a folder with a space (a stand-in interpreter that runs this one)
    env_bin = tmp_path / "old env" / "bin"
    env_bin.mkdir(parents=True)
    python = env_bin / "python"
    python.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    command = f"{shlex.quote(str(python))} -m nbtools"
    assert nbtools("install", "--command", command, cwd=git_repo).returncode == 0
    assert nbtools("install", "--status", cwd=git_repo).returncode == 0
    analysis(git_repo)
    assert bare_git(git_repo, "add", "-A").returncode == 0
    assert staged(git_repo, "analysis.ipynb")["cells"][1]["outputs"] == []

    # the environment is renamed: git can no longer run the filter, and status says why
    (tmp_path / "old env").rename(tmp_path / "new env")
    analysis(git_repo, "second.ipynb")
    assert bare_git(git_repo, "add", "second.ipynb").returncode != 0  # required filter
    status = nbtools("install", "--status", cwd=git_repo)
    assert status.returncode == 1
    assert f"{python} does not exist" in status.stdout
    assert "run `nbtools install` again" in status.stdout

    # as it advises: install again (this interpreter, by its absolute path), and git works
    assert nbtools("install", cwd=git_repo).returncode == 0
    assert nbtools("install", "--status", cwd=git_repo).returncode == 0
    assert bare_git(git_repo, "add", "second.ipynb").returncode == 0
    assert staged(git_repo, "second.ipynb")["cells"][1]["outputs"] == []


def test_git_add_all_with_one_malformed_notebook_stores_everything(git_repo: Path) -> None:
    assert nbtools("install", cwd=git_repo).returncode == 0
    good = [analysis(git_repo, "one.ipynb"), analysis(git_repo / "sub", "two.ipynb")]
    # a notebook damaged by a bad merge or a script: its structure is not nbformat's
    bad = analysis(git_repo, "damaged.ipynb")
    data = json.loads(bad.read_text(encoding="utf-8"))
    data["cells"][1]["metadata"] = ["tags", "keep_output"]
    data["cells"][0]["outputs"] = [None]
    bad.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    damaged = bad.read_bytes()

    added = git(git_repo, "add", "-A", check=False)
    assert added.returncode == 0, added.stderr
    warnings = [line for line in added.stderr.splitlines() if "damaged.ipynb" in line]
    assert len(warnings) == 1 and "passed to git unchanged" in warnings[0], added.stderr
    assert git(git_repo, "cat-file", "blob", ":damaged.ipynb").stdout.encode() == damaged
    for path in good:
        name = path.relative_to(git_repo).as_posix()
        assert staged(git_repo, name)["cells"][1]["outputs"] == []
    listed = git(git_repo, "diff", "--cached", "--name-only").stdout.split()
    assert sorted(listed) == [".gitattributes", "damaged.ipynb", "one.ipynb", "sub/two.ipynb"]
    assert git(git_repo, "commit", "-q", "-m", "all", check=False).returncode == 0
    # git diff of the damaged file works too (textconv shows it as it is)
    bad.write_bytes(damaged.replace(b"40 + 2", b"40 + 3"))
    diff = git(git_repo, "diff", check=False)
    assert diff.returncode == 0 and "40 + 3" in diff.stdout


TOKEN = "ghp_" + "R8x2mQ7vLk3NpZ9tWc4YbH6sJd1FgA5eUo0i"


def test_hooks_and_filter_agree_then_uninstall_removes_both(git_repo: Path) -> None:
    hooks = git_repo / ".git" / "hooks"
    hooks.mkdir(parents=True, exist_ok=True)
    own = hooks / "pre-push"  # the user's own hook, written before nbtools came
    own.write_text("#!/bin/sh\necho checked by my own hook\n", encoding="utf-8")
    own.chmod(0o755)
    installed = nbtools("install", "--hooks", cwd=git_repo)
    assert installed.returncode == 1  # one piece could not be set up: reported, not clobbered
    assert "pre-push another tool's hook is kept" in installed.stdout

    # a notebook that printed a token: the filter strips the output, so the commit goes on,
    # but the user is told to rotate the token
    jupyter_notebook(
        git_repo / "fetch.ipynb",
        [code("import os\nprint(os.environ['GH_TOKEN'])", [stream(TOKEN + "\n")], count=1)],
    )
    first = commit_all(git_repo, "fetch")
    assert first.returncode == 0, first.stdout + first.stderr
    told = first.stdout + first.stderr
    assert "fetch.ipynb:cell 1:output 1:1: filter/stripped-secret" in told
    assert "rotate it" in told and TOKEN not in told
    assert TOKEN not in git(git_repo, "show", "HEAD:fetch.ipynb").stdout

    # pasting the token into a cell's source would commit it: that blocks
    jupyter_notebook(git_repo / "fetch.ipynb", [code(f"token = '{TOKEN}'")])
    second = commit_all(git_repo, "inline the token")
    assert second.returncode != 0
    assert "scan/github-token" in second.stdout + second.stderr
    jupyter_notebook(git_repo / "fetch.ipynb", [code("import os\ntoken = os.environ['GH_TOKEN']")])
    assert commit_all(git_repo, "from the environment").returncode == 0

    # uninstall (no --hooks needed) removes our hooks with the filter; the user's hook stays
    removed = nbtools("install", "--uninstall", cwd=git_repo)
    assert removed.returncode == 0
    assert "removed .git/hooks/pre-commit" in removed.stdout
    assert not (hooks / "pre-commit").exists()
    assert own.read_text(encoding="utf-8") == "#!/bin/sh\necho checked by my own hook\n"
    jupyter_notebook(git_repo / "late.ipynb", [code("print(1)", [stream("1\n")], count=1)])
    git(git_repo, "add", "late.ipynb")
    assert git(git_repo, "commit", "-q", "-m", "late", check=False).returncode == 0
    assert '"1\\n"' in git(git_repo, "show", "HEAD:late.ipynb").stdout  # nothing filters now


def test_quiet_install_in_a_setup_script(git_repo: Path) -> None:
    """A project's bootstrap script runs `nbtools install -q`: silent unless something is wrong."""
    done = nbtools("install", "--hooks", "-q", cwd=git_repo)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    again = nbtools("install", "--status", "--hooks", "-q", cwd=git_repo)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    (git_repo / ".gitattributes").unlink()
    broken = nbtools("install", "--status", "-q", cwd=git_repo)
    assert broken.returncode == 1
    assert broken.stdout.startswith(".gitattributes: install/missing")


def test_install_files_have_git_modes_for_a_team(git_repo: Path) -> None:
    """Under the usual umask 022 the committed .gitattributes is 0644 and hooks are 0755;
    a group-writable .gitattributes (umask 002 team checkout) stays group-writable."""
    python = shlex.quote(sys.executable)
    run = subprocess.run(
        ["sh", "-c", f"umask 022 && {python} -m nbtools install --hooks -q"],
        cwd=git_repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert (git_repo / ".gitattributes").stat().st_mode & 0o777 == 0o644
    for name in ("pre-commit", "pre-push"):
        assert (git_repo / ".git" / "hooks" / name).stat().st_mode & 0o777 == 0o755
    git(git_repo, "add", ".gitattributes")
    assert git(git_repo, "ls-files", "-s", ".gitattributes").stdout.startswith("100644 ")
    attributes = git_repo / ".gitattributes"
    attributes.chmod(0o664)
    assert nbtools("install", "--uninstall", "-q", cwd=git_repo).returncode == 0
    assert not attributes.exists()  # it held only our line
    attributes.write_text("*.png binary\n", encoding="utf-8")
    attributes.chmod(0o664)
    assert nbtools("install", "-q", cwd=git_repo).returncode == 0
    assert attributes.stat().st_mode & 0o777 == 0o664
