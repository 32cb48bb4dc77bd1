"""The repository a report describes: its root, paths relative to it, and its commit.

Code scanning and workflow annotations resolve a relative path against the repository root,
so reports use repo-relative paths whatever folder nbtools was started in (a path relative
to the working directory points at the wrong file when run from a subfolder).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from nbtools.discovery import git_root


def _inside(path: str, folder: str) -> bool:
    try:
        rel = os.path.relpath(path, folder)
    except ValueError:  # another drive
        return False
    return rel != ".." and not rel.startswith(".." + os.sep)


def repo_root(cwd: str | None = None) -> str:
    """The work tree holding ``cwd`` (default: the working directory); outside git, the
    Actions workspace when ``cwd`` is in it, else ``cwd`` itself."""
    start = os.path.abspath(cwd or os.getcwd())
    root = git_root(start)
    if root is not None:
        return root
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace and _inside(start, os.path.abspath(workspace)):
        return os.path.abspath(workspace)
    return start


def relative_to_root(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` with forward slashes, or None when it lies outside."""
    full, base = os.path.abspath(path), os.path.abspath(root)
    for candidate, folder in ((full, base), (os.path.realpath(full), os.path.realpath(base))):
        if _inside(candidate, folder):
            rel = os.path.relpath(candidate, folder)
            return "." if rel == "." else rel.replace(os.sep, "/")
    return None


def _git(root: str, *args: str) -> str | None:
    import subprocess  # only for reports that name a commit (SARIF)

    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 and proc.stdout.strip() else None


def clean_remote(url: str) -> str | None:
    """A remote as a URI without credentials: ``git@host:o/r.git`` becomes
    ``ssh://host/o/r.git``, ``https://user:token@host/o/r`` becomes ``https://host/o/r``,
    and a local path a ``file:`` URI."""
    url = url.strip()
    if not url:
        return None
    if "://" not in url:
        head, sep, tail = url.partition(":")
        if sep and "/" not in head and not (len(head) == 1 and head.isalpha()):  # scp-like
            host = head.rpartition("@")[2]
            return f"ssh://{host}/{tail.lstrip('/')}"
        from pathlib import Path

        return Path(os.path.abspath(url)).as_uri()
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def provenance(root: str) -> dict[str, str]:
    """``repositoryUri``, ``revisionId`` and ``branch`` (what is known) of the repository at
    ``root``: from git, else from the GitHub Actions environment."""
    env = os.environ
    info: dict[str, str] = {}
    in_git = git_root(root) is not None
    remote = _git(root, "remote", "get-url", "origin") if in_git else None
    uri = clean_remote(remote) if remote else None
    if uri is None and env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY"):
        uri = f"{env['GITHUB_SERVER_URL'].rstrip('/')}/{env['GITHUB_REPOSITORY']}"
    if uri:
        info["repositoryUri"] = uri
    heads = _git(root, "rev-parse", "HEAD", "--symbolic-full-name", "HEAD") if in_git else None
    lines = heads.splitlines() if heads else []
    revision = lines[0] if lines else env.get("GITHUB_SHA", "")
    if revision:
        info["revisionId"] = revision
    ref = lines[1] if len(lines) > 1 and lines[1].startswith("refs/") else env.get("GITHUB_REF", "")
    if ref:
        info["branch"] = ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref
    return info


def version_control(root: str, base_id: str) -> list[dict[str, Any]]:
    """SARIF ``versionControlProvenance`` for ``root`` (empty when no repository URI is known)."""
    info = provenance(root)
    if "repositoryUri" not in info:
        return []
    return [{**info, "mappedTo": {"uriBaseId": base_id}}]
