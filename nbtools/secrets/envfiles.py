"""Rules for the files shipped beside notebooks: Jupyter configs, sshd_config, Dockerfiles.

These are configuration mistakes rather than leaked values (an empty Jupyter token on a
public address, root login over SSH, a key baked into an image), so each has its own rule
id. ``docker run`` lines and Jupyter command lines are covered by the main rule table
(``scan/jupyter-no-token-cli``) because they also turn up in notebooks and scripts.
"""

from __future__ import annotations

import fnmatch
import os
import re
from typing import Callable

from nbtools.findings import Finding, Rule, Severity, Where, register_rules

_JUPYTER = ("configuration", "jupyter", "external/cwe/cwe-306")
_SSH = ("configuration", "ssh")
_DOCKER = ("configuration", "container", "secret", "external/cwe/cwe-798")
RULES = (
    Rule(
        "scan/jupyter-empty-token",
        "jupyter-empty-token",
        "Jupyter server token set to ''",
        "With an empty token (and no password) anyone who reaches the port can run code as "
        "the server's user. Remove the setting so Jupyter generates a token, or set a "
        "password hash (`jupyter server password`).",
        precision="very-high",
        tags=_JUPYTER,
        security_severity=8.8,
    ),
    Rule(
        "scan/jupyter-open-no-password",
        "jupyter-open-no-password",
        "Jupyter listens on all interfaces without a token or password",
        "`ip = '0.0.0.0'` (or `*`) with no token or password exposes a remote code execution "
        "endpoint to the network. Bind to `127.0.0.1` and use SSH port forwarding, or keep "
        "token authentication on.",
        precision="very-high",
        tags=_JUPYTER,
        security_severity=9.8,
    ),
    Rule(
        "scan/jupyter-allow-root",
        "jupyter-allow-root",
        "Jupyter server allowed to run as root",
        "Code run from a notebook then runs as root: a compromised notebook owns the machine "
        "or container. Run Jupyter as an unprivileged user (`USER` in the Dockerfile).",
        severity=Severity.WARNING,
        precision="very-high",
        tags=("configuration", "jupyter", "container", "external/cwe/cwe-250"),
        security_severity=5.5,
    ),
    Rule(
        "scan/sshd-root-login",
        "sshd-root-login",
        "sshd permits root login",
        "`PermitRootLogin yes` lets a guessed or leaked root credential open a root shell. "
        "Set `PermitRootLogin no` (or `prohibit-password`) and log in as a normal user.",
        precision="very-high",
        tags=(*_SSH, "external/cwe/cwe-250"),
        security_severity=7.5,
    ),
    Rule(
        "scan/sshd-password-auth",
        "sshd-password-auth",
        "sshd accepts passwords (PasswordAuthentication or PermitEmptyPasswords yes)",
        "Password logins can be brute-forced (and empty passwords need no guessing). Set "
        "`PasswordAuthentication no` and `PermitEmptyPasswords no`, and use keys.",
        severity=Severity.WARNING,
        precision="very-high",
        tags=(*_SSH, "external/cwe/cwe-521"),
        security_severity=6.5,
    ),
    Rule(
        "scan/sshd-no-allow-users",
        "sshd-no-allow-users",
        "sshd_config restricts nobody (no AllowUsers or AllowGroups)",
        "Every account on the machine may log in over SSH, service accounts included. Name "
        "the accounts that need SSH with `AllowUsers` or `AllowGroups`.",
        severity=Severity.WARNING,
        precision="medium",
        tags=_SSH,
        security_severity=3.5,
    ),
    Rule(
        "scan/dockerfile-secret",
        "dockerfile-secret",
        "credential set with ENV or ARG in a Dockerfile (it stays in the image history)",
        "`ENV` and `ARG` values are stored in the image's layers and history: anyone who can "
        "pull the image can read them. Rotate the credential, then pass it at build time "
        "with a BuildKit secret (`RUN --mount=type=secret`) or at run time as an environment "
        "variable.",
        precision="high",
        tags=_DOCKER,
        security_severity=8.0,
    ),
    Rule(
        "scan/dockerfile-key-copy",
        "dockerfile-key-copy",
        "private key or authorized_keys copied into an image",
        "A key copied into a layer stays in the image even if a later layer deletes it. "
        "Rotate the key, and mount it at build time (`RUN --mount=type=ssh` or a secret "
        "mount) or at run time instead.",
        precision="high",
        tags=_DOCKER,
        security_severity=8.0,
    ),
)
register_rules(*RULES)
_SEVERITY = {rule.id: rule.severity for rule in RULES}

_JUPYTER_CONFIG = ("jupyter_*_config.py", "jupyter_config.py")
_DOCKERFILE = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile")

_APP = r"c\.(?:ServerApp|NotebookApp|IdentityProvider|PasswordIdentityProvider)"
_EMPTY_TOKEN_RE = re.compile(rf"^\s*{_APP}\.token\s*=\s*(?:''|\"\"|u''|None)\s*(?:#.*)?$")
_TOKEN_SET_RE = re.compile(rf"^\s*{_APP}\.token\s*=\s*['\"][^'\"]+['\"]")
_PASSWORD_SET_RE = re.compile(rf"^\s*{_APP}\.(?:hashed_)?password\s*=\s*['\"][^'\"]+['\"]")
_OPEN_IP_RE = re.compile(rf"^\s*{_APP}\.ip\s*=\s*['\"](?:0\.0\.0\.0|\*|::|)['\"]")
_ALLOW_ROOT_RE = re.compile(rf"^\s*{_APP}\.allow_root\s*=\s*True\b")

_SSHD_RE = re.compile(
    r"^\s*(PermitRootLogin|PasswordAuthentication|PermitEmptyPasswords)\s+(\S+)", re.I
)
_SSHD_ALLOW_RE = re.compile(r"^\s*(?:AllowUsers|AllowGroups)\s+\S", re.I | re.M)

_DOCKER_ENV_RE = re.compile(r"^\s*(?:ENV|ARG)\s+(.*)$", re.I)
_DOCKER_PAIR_RE = re.compile(r"""([A-Za-z_][A-Za-z0-9_]*)(?:\s*=\s*|\s+)("[^"]*"|'[^']*'|\S+)""")
_DOCKER_SECRET_NAME_RE = re.compile(
    r"(?i)(?:password|passwd|secret|token|api_?key|access_?key|private_?key|credentials?)$"
)
_DOCKER_COPY_RE = re.compile(r"^\s*(?:COPY|ADD)\s+(.*)$", re.I)
_KEY_FILE_RE = re.compile(
    r"(?:^|[/\s])(?:id_(?:rsa|dsa|ecdsa|ed25519)(?!\.pub)\b|authorized_keys\b|\.ssh(?:/|\s|$)"
    r"|[\w.\-]*\.(?:pem|key|p12|pfx)\b)"
)


def kind_of(path: str) -> str | None:
    """``jupyter``, ``sshd`` or ``dockerfile`` for the env files nbtools knows, else None."""
    name = os.path.basename(path)
    if any(fnmatch.fnmatch(name, pat) for pat in _JUPYTER_CONFIG):
        return "jupyter"
    if name.startswith("sshd_config"):
        return "sshd"
    if any(fnmatch.fnmatch(name, pat) for pat in _DOCKERFILE):
        return "dockerfile"
    return None


def _finding(path: str, rule: str, line: int | None, detail: str = "") -> Finding:
    message = next(r.summary for r in RULES if r.id == rule)
    return Finding(
        path=path,
        rule=rule,
        message=f"{message}{': ' + detail if detail else ''}",
        severity=_SEVERITY[rule],
        where=Where.FILE,
        line=line,
        json_line=line,
    )


def _jupyter(path: str, lines: list[str]) -> list[Finding]:
    found: list[Finding] = []
    empty_token: int | None = None
    open_ip: int | None = None
    protected = False
    for number, line in enumerate(lines, 1):
        if _EMPTY_TOKEN_RE.match(line):
            empty_token = number
            found.append(_finding(path, "scan/jupyter-empty-token", number))
        elif _TOKEN_SET_RE.match(line) or _PASSWORD_SET_RE.match(line):
            protected = True
        if _OPEN_IP_RE.match(line):
            open_ip = number
        if _ALLOW_ROOT_RE.match(line):
            found.append(_finding(path, "scan/jupyter-allow-root", number))
    # an unset token means a random one is generated, so only an explicit '' opens it up
    if open_ip is not None and empty_token is not None and not protected:
        found.append(_finding(path, "scan/jupyter-open-no-password", open_ip))
    return found


def _sshd(path: str, lines: list[str]) -> list[Finding]:
    found: list[Finding] = []
    for number, line in enumerate(lines, 1):
        match = _SSHD_RE.match(line)
        if not match or match.group(2).lower() != "yes":
            continue
        rule = (
            "scan/sshd-root-login"
            if match.group(1).lower() == "permitrootlogin"
            else "scan/sshd-password-auth"
        )
        found.append(_finding(path, rule, number, f"{match.group(1)} yes"))
    if not _SSHD_ALLOW_RE.search("\n".join(lines)):
        found.append(_finding(path, "scan/sshd-no-allow-users", None))
    return found


def _dockerfile(path: str, lines: list[str]) -> list[Finding]:
    found: list[Finding] = []
    for number, line in enumerate(lines, 1):
        env = _DOCKER_ENV_RE.match(line)
        if env:
            for name, value in _DOCKER_PAIR_RE.findall(env.group(1)):
                bare = value.strip("'\"")
                if not _DOCKER_SECRET_NAME_RE.search(name) or not bare or bare.startswith("$"):
                    continue
                found.append(_finding(path, "scan/dockerfile-secret", number, name))
        copy = _DOCKER_COPY_RE.match(line)
        if copy and _KEY_FILE_RE.search(copy.group(1)):
            found.append(_finding(path, "scan/dockerfile-key-copy", number))
    return found


_CHECKS: dict[str, Callable[[str, list[str]], list[Finding]]] = {
    "jupyter": _jupyter,
    "sshd": _sshd,
    "dockerfile": _dockerfile,
}


def scan_env_file(path: str, text: str) -> list[Finding]:
    """The configuration findings for an env file (empty for other files)."""
    kind = kind_of(path)
    if kind is None:
        return []
    return _CHECKS[kind](path, text.splitlines())
