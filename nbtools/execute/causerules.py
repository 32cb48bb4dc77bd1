"""The causes ``nbtools run`` names for a failed notebook, each with its one line of what
to do, and the patterns :mod:`nbtools.execute.causes` recognises them by.

The table is data: adding a cause is an entry here and a rule in the classifier.
"""

from __future__ import annotations

import enum
import re


class CauseKind(str, enum.Enum):
    """The one list of causes (their values are what reports show)."""

    HIDDEN_STATE = "hidden-state"
    MISSING_PACKAGE = "missing-package"
    NETWORK = "network"
    MISSING_FILE = "missing-file"
    KERNEL_UNAVAILABLE = "kernel-unavailable"
    SHELL_COMMAND = "shell-command"
    TIMEOUT = "timeout"
    OUTPUT_LIMIT = "output-limit"
    KERNEL_DIED = "kernel-died"
    NOTEBOOK_ERROR = "notebook-error"
    OUTPUT_MISMATCH = "output-mismatch"
    NONDETERMINISTIC = "nondeterministic"


HIDDEN_STATE = CauseKind.HIDDEN_STATE.value
MISSING_PACKAGE = CauseKind.MISSING_PACKAGE.value
NETWORK = CauseKind.NETWORK.value
MISSING_FILE = CauseKind.MISSING_FILE.value
KERNEL_UNAVAILABLE = CauseKind.KERNEL_UNAVAILABLE.value
SHELL_COMMAND = CauseKind.SHELL_COMMAND.value
TIMEOUT = CauseKind.TIMEOUT.value
OUTPUT_LIMIT = CauseKind.OUTPUT_LIMIT.value
KERNEL_DIED = CauseKind.KERNEL_DIED.value
NOTEBOOK_ERROR = CauseKind.NOTEBOOK_ERROR.value
OUTPUT_MISMATCH = CauseKind.OUTPUT_MISMATCH.value
NONDETERMINISTIC = CauseKind.NONDETERMINISTIC.value

#: every cause, with the one line of what to do when nothing more specific is known
CAUSES: dict[str, str] = {
    HIDDEN_STATE: "restart the kernel, run all cells top to bottom and save; "
    "fix cells that depend on run order or on deleted cells",
    MISSING_PACKAGE: "add the package to the image or a requirements file",
    NETWORK: "the kernel has no network (the default); rerun with `--network host`",
    MISSING_FILE: "commit the file next to the notebook, or have the notebook download or "
    "create it; read it relative to the notebook",
    KERNEL_UNAVAILABLE: "install a kernel for the notebook's language (`jupyter kernelspec "
    "list`), or exclude the notebook from `nbtools run`",
    SHELL_COMMAND: "install the command in the image, or drop the `!` line; a failed shell "
    "command does not stop a notebook, so later cells run without its work",
    TIMEOUT: "make the cell faster (smaller data, fewer epochs), or raise --timeout / "
    "--notebook-timeout",
    OUTPUT_LIMIT: "print less (the cap is for all outputs of the notebook together), or "
    "raise --max-output-bytes",
    KERNEL_DIED: "the kernel process ended (out of memory, a crash in native code, "
    "os._exit): run that cell alone and watch its memory",
    NOTEBOOK_ERROR: "the notebook is broken as committed: fix the cell, or tag it "
    "`raises-exception` if the error is intended",
    OUTPUT_MISMATCH: "the output depends on the environment (versions, paths, data): rerun "
    "the notebook where it is checked and save, or stop printing what differs",
    NONDETERMINISTIC: "seed random generators, or stop printing times, addresses and ids, "
    "if the outputs should reproduce",
}

#: imports whose pip name differs (the well-known mismatches)
PIP_NAMES = {
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "bs4": "beautifulsoup4",
    "skimage": "scikit-image",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "Crypto": "pycryptodome",
    "OpenSSL": "pyopenssl",
    "git": "gitpython",
    "google.protobuf": "protobuf",
    "serial": "pyserial",
    "attr": "attrs",
    "jwt": "pyjwt",
    "magic": "python-magic",
    "docx": "python-docx",
    "pptx": "python-pptx",
    "fitz": "pymupdf",
    "umap": "umap-learn",
    "Levenshtein": "python-levenshtein",
    "tensorflow_addons": "tensorflow-addons",
    "tensorflow_datasets": "tensorflow-datasets",
    "tensorflow_hub": "tensorflow-hub",
    "torch_geometric": "torch-geometric",
    "mpl_toolkits.basemap": "basemap",
    "sentencepiece": "sentencepiece",
}

IMPORT_ERRORS = ("ModuleNotFoundError", "ImportError")

NETWORK_RE = re.compile(
    r"Temporary failure in name resolution|Name or service not known|"
    r"nodename nor servname|getaddrinfo failed|No address associated with hostname|"
    r"Could not resolve host|Connection refused|Network is unreachable|"
    r"Failed to establish a new connection|NewConnectionError|Max retries exceeded|"
    r"Retrying \(Retry\(|Could not fetch URL|No matching distribution found|"
    r"Could not find a version that satisfies the requirement|urlopen error|"
    r"Connection (?:timed out|reset)|ConnectTimeout|ProxyError|gaierror|"
    r"unable to access '[^']*': Could not resolve|Temporary failure resolving",
    re.IGNORECASE,
)
NETWORK_ENAMES = ("ConnectionError", "URLError", "gaierror", "ConnectTimeout", "ReadTimeout")
NO_MODULE_RE = re.compile(r"No module named '([^']+)'")
CANNOT_IMPORT_RE = re.compile(r"cannot import name '([^']+)' from '([^']+)'")
PATH_RE = re.compile(
    r"""(?:No such file or directory|does not exist|not found)[^'"]*['"]([^'"]+)['"]"""
)
PATH_BEFORE_RE = re.compile(
    r"""(?:File|file|Path|path)\s+['"]?([^'"\s]+)['"]?\s+(?:does not exist|not found)"""
)
QUOTED_END_RE = re.compile(r"""['"]([^'"]+)['"]\s*$""")
MAGIC_RE = re.compile(r"(?:Line|Cell) magic function `%{1,2}([\w.]+)` not found")
PIP_RE = re.compile(r"(?:^|\s|!|%)(?:pip3?|conda|mamba)\s+install\b|-m\s+pip\s+install\b")
