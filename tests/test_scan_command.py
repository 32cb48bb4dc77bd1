"""``nbtools scan`` through ``main([...])``: exit codes, JSON keys, baseline, --fix, inputs."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path
from typing import Any, Callable

import pytest
from conftest import make_cell, make_nb, nbtools_cli, write_nb

from nbtools.cli import main
from nbtools.notebook import read_notebook

RNG = random.Random(5)
GHP = "ghp_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(36))
STRIPE = "sk_live_" + "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(24))
FINDING_KEYS = {
    "path",
    "cell_index",
    "cell_id",
    "where",
    "output_index",
    "field",
    "line",
    "json_line",
    "rule",
    "severity",
    "masked",
}


def leaky(nb_factory: Callable[..., Path], name: str = "leak.ipynb") -> Path:
    return nb_factory(
        name,
        [
            make_cell("code", f"stripe.api_key = '{STRIPE}'"),
            make_cell(
                "code",
                "!env",
                outputs=[
                    {"output_type": "stream", "name": "stdout", "text": [f"GITHUB_TOKEN={GHP}\n"]}
                ],
            ),
            make_cell(
                "code",
                "print(1)",
                outputs=[{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
            ),
        ],
    )


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["scan", "--format", "json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_clean_notebook_exits_0(
    nb_factory: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = nb_factory("clean.ipynb", [make_cell("code", "x = 1")])
    code, data = run_json([str(path)], capsys)
    assert (code, data["findings"]) == (0, [])


def test_findings_json_shape_and_exit_1(
    nb_factory: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = leaky(nb_factory)
    code, data = run_json([str(path)], capsys)
    assert code == 1
    assert [
        (f["where"], f["cell_index"], f["output_index"], f["field"], f["line"], f["rule"])
        for f in data["findings"]
    ] == [
        ("source", 0, None, None, 1, "scan/stripe-key"),
        ("output", 1, 0, "text", 1, "scan/github-token"),
    ]
    for finding in data["findings"]:
        assert set(finding) >= FINDING_KEYS
        assert finding["json_line"] is not None
    text = json.dumps(data)
    assert GHP not in text and STRIPE not in text


def test_text_output_never_shows_the_value(
    nb_factory: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = leaky(nb_factory)
    assert main(["scan", str(path)]) == 1
    captured = capsys.readouterr()
    assert f"{path}:cell 1:1: scan/stripe-key" in captured.out
    assert f"{path}:cell 2:output 1:1: scan/github-token" in captured.out
    assert GHP not in captured.out + captured.err and STRIPE not in captured.out + captured.err


def test_unreadable_input_exits_2_and_batch_goes_on(
    tmp_path: Path, nb_factory: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    good = leaky(nb_factory)
    code, data = run_json([str(broken), str(good), str(tmp_path / "missing.ipynb")], capsys)
    assert code == 2
    statuses = {Path(f["path"]).name: f["status"] for f in data["files"]}
    assert statuses == {"broken.ipynb": "error", "leak.ipynb": "findings", "missing.ipynb": "error"}
    assert len(data["findings"]) == 2


def test_directory_walk_picks_notebooks_scripts_and_env_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_nb(tmp_path / "nb.ipynb", make_nb([make_cell("code", f"k = '{STRIPE}'")]))
    (tmp_path / "train.py").write_text(f"TOKEN = '{GHP}'\n", encoding="utf-8")
    (tmp_path / "sshd_config").write_text("PermitRootLogin yes\nAllowUsers a\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("COPY id_rsa /root/.ssh/\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text(f"{GHP}\n", encoding="utf-8")  # not walked into
    (tmp_path / "image.py").write_bytes(b"\x89PNG\x00\x00" + GHP.encode())
    code, data = run_json([str(tmp_path)], capsys)
    assert code == 1
    found = sorted((Path(f["path"]).name, f["rule"], f["line"]) for f in data["findings"])
    assert found == [
        ("Dockerfile", "scan/dockerfile-key-copy", 1),
        ("nb.ipynb", "scan/stripe-key", 1),
        ("sshd_config", "scan/sshd-root-login", 1),
        ("train.py", "scan/github-token", 1),
    ]
    assert {Path(f["path"]).name: f["status"] for f in data["files"]}["image.py"] == "skipped"


def test_explicit_text_file_is_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(f"line one\ntoken {GHP}\n", encoding="utf-8")
    code, data = run_json([str(notes)], capsys)
    assert code == 1
    assert [(f["where"], f["line"], f["json_line"]) for f in data["findings"]] == [("file", 2, 2)]


def test_baseline_accepts_existing_and_fails_on_new(
    nb_factory: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = leaky(nb_factory)
    baseline = tmp_path / "baseline.json"
    assert main(["scan", "--baseline", str(baseline), "--update-baseline", str(path)]) == 0
    capsys.readouterr()
    stored = baseline.read_text(encoding="utf-8")
    assert GHP not in stored and STRIPE not in stored
    assert len(json.loads(stored)["findings"]) == 2
    code, data = run_json(["--baseline", str(baseline), str(path)], capsys)
    assert (code, data["findings"], data["baselined"]) == (0, [], 2)
    # moving the cell around keeps the fingerprint (content, not line numbers)
    nbfile = read_notebook(path)
    nbfile.nb["cells"].insert(0, make_cell("markdown", "# new intro", id="intro"))
    nbfile.nb["cells"].append(make_cell("code", f"backup = '{GHP[:-4]}ZZZZ'", id="new"))
    path.write_text(nbfile.render(), encoding="utf-8")
    code, data = run_json(["--baseline", str(baseline), str(path)], capsys)
    assert code == 1
    assert [(f["cell_index"], f["rule"]) for f in data["findings"]] == [(4, "scan/github-token")]


def test_baseline_from_config_and_bad_baseline(
    nb_factory: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = leaky(nb_factory)
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    assert main(["scan", "--baseline", str(bad), str(path)]) == 2
    assert main(["scan", "--update-baseline", str(path)]) == 2
    capsys.readouterr()


def test_fix_removes_leaking_outputs_only(
    nb_factory: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = leaky(nb_factory)
    code, data = run_json(["--fix", str(path)], capsys)
    assert code == 1
    assert [(f["where"], f["rule"], f["fixable"]) for f in data["findings"]] == [
        ("source", "scan/stripe-key", False)
    ]
    assert data["files"][0]["status"] == "changed"
    nb = read_notebook(path).nb
    assert nb["cells"][1]["outputs"] == []
    assert nb["cells"][2]["outputs"][0]["text"] == ["1\n"]
    assert STRIPE in nb["cells"][0]["source"]
    import nbformat

    nbformat.validate(nbformat.read(str(path), as_version=4))
    # a second run changes nothing more and still reports the source finding
    before = path.read_bytes()
    code, data = run_json(["--fix", str(path)], capsys)
    assert code == 1 and path.read_bytes() == before


def test_fix_on_output_only_notebook_becomes_clean(
    nb_factory: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = [{"output_type": "stream", "name": "stdout", "text": [f"{GHP}\n"]}]
    path = nb_factory("o.ipynb", [make_cell("code", "print(tok)", outputs=out)])
    assert main(["scan", "--fix", str(path)]) == 1  # changed
    capsys.readouterr()
    assert main(["scan", str(path)]) == 0
    capsys.readouterr()


def test_ignore_rules_option(
    nb_factory: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = leaky(nb_factory)
    code, data = run_json(
        ["--ignore-rules", "scan/stripe-key", "scan/github-token", "--", str(path)], capsys
    )
    assert (code, data["findings"]) == (0, [])


def test_config_table(
    nb_factory: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = leaky(nb_factory)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nbtools.scan]\nignore_rules = ["scan/stripe-key"]\njobs = 1\n', encoding="utf-8"
    )
    code, data = run_json([str(path)], capsys)
    assert code == 1
    assert [f["rule"] for f in data["findings"]] == ["scan/github-token"]


def test_parallel_and_serial_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for index in range(12):
        cells = [make_cell("code", f"k{index} = '{STRIPE}'" if index % 3 == 0 else "x = 1")]
        write_nb(tmp_path / f"n{index:02d}.ipynb", make_nb(cells))
    serial = run_json(["-j", "1", str(tmp_path)], capsys)
    parallel = run_json(["-j", "2", str(tmp_path)], capsys)
    assert serial == parallel
    assert len(serial[1]["findings"]) == 4


def test_real_process(nb_factory: Callable[..., Path]) -> None:
    path = leaky(nb_factory)
    proc = nbtools_cli("scan", "--format", "json", str(path))
    assert proc.returncode == 1
    assert len(json.loads(proc.stdout)["findings"]) == 2
    assert GHP.encode() not in proc.stdout + proc.stderr


#: a generic key nobody named: only the (warning-level) entropy rule sees it
UNNAMED = "c = Client('Zk8Qw2Lm9Xr4Tb7Vn1Hs6Jd3Fg5Pa0YeUo8Ri2Kx')"


@pytest.mark.parametrize(
    ("pyproject", "extra", "code"),
    [
        ("", [], 0),  # a warning is reported; only errors fail by default
        ("", ["--fail-on", "warning"], 1),
        ('[tool.nbtools]\nfail_on = "warning"\n', [], 1),
        ('[tool.nbtools.scan]\nfail_on = "note"\n', [], 1),
        ('[tool.nbtools]\nfail_on = "warning"\n', ["--fail-on", "error"], 0),
        ('[tool.nbtools]\nfail_on = "warnings"\n', [], 2),
        ("", ["--fail-on", "loud"], 2),
    ],
)
def test_fail_on_decides_which_findings_fail(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    pyproject: str,
    extra: list[str],
    code: int,
) -> None:
    path = write_nb(tmp_path / "nb.ipynb", make_nb([make_cell("code", UNNAMED)]))
    if pyproject:
        (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    assert main(["scan", "--format", "json", *extra, str(path)]) == code
    out = capsys.readouterr().out
    if code != 2:
        assert [f["severity"] for f in json.loads(out)["findings"]] == ["warning"]


@pytest.mark.parametrize(
    "value",
    [
        "Salesforce/blip2-opt-2.7b-fp16-sharded",
        "ybelkada/blip2-opt-2.7b-fp16-sharded",
        "sentence-transformers/all-MiniLM-L6-v2-finetuned-2024",
        "entity-name/proj-7/runs/2k3j4h5g6f7d8s9a1q2w3e4r",
        "data/2023-05-17/Run7_BatchA9_out.csv",
        "s3bucket/raw/2023/07/part-00012-c4a9b7e2.snappy",
    ],
)
def test_model_ids_slugs_run_paths_and_paths_are_not_secrets(tmp_path: Path, value: str) -> None:
    from nbtools.secrets.engine import default_engine

    assert default_engine().scan([f'm = AutoModel.from_pretrained("{value}")']) == []
    # the same shape with a random first segment is still a key
    key = "Zk8QwL2m9X/" + value.split("/", 1)[1].replace("-", "Q")
    assert [h.rule.id for h in default_engine().scan([f'c = Client("{key}")'])] in (
        [],
        ["scan/high-entropy-string"],
    )


def test_baseline_does_not_depend_on_the_working_directory(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_nb(git_repo / "nb" / "a.ipynb", make_nb([make_cell("code", f"k = '{STRIPE}'")]))
    monkeypatch.chdir(git_repo)
    assert main(["scan", "-q", "--baseline", ".b.json", "--update-baseline", "."]) == 0
    stored = json.loads((git_repo / ".b.json").read_text())
    assert stored["version"] == 2
    assert [e["path"] for e in stored["findings"]] == ["nb/a.ipynb"]  # relative to the repo
    for cwd, baseline, target in [
        (git_repo.parent, "repo/.b.json", "repo"),
        (git_repo / "nb", "../.b.json", "a.ipynb"),
        (git_repo, ".b.json", str(git_repo / "nb")),
    ]:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        code, data = run_json(["--baseline", baseline, target], capsys)
        assert (code, data["findings"], data["baselined"]) == (0, [], 1), cwd


def test_version_1_baseline_written_from_the_root_keeps_working(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nbtools.secrets.masking import fingerprint

    write_nb(git_repo / "nb" / "a.ipynb", make_nb([make_cell("code", f"k = '{STRIPE}'")]))
    old = fingerprint("nb/a.ipynb", "scan/stripe-key", STRIPE)  # as version 1 wrote it
    entry = {"fingerprint": old, "rule": "scan/stripe-key", "path": "nb/a.ipynb"}
    (git_repo / "old.json").write_text(json.dumps({"version": 1, "findings": [entry]}))
    monkeypatch.chdir(git_repo.parent)
    code, data = run_json(["--baseline", "repo/old.json", "repo"], capsys)
    assert (code, data["baselined"]) == (0, 1)


def test_baseline_from_config_is_relative_to_the_config(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_nb(git_repo / "a.ipynb", make_nb([make_cell("code", f"k = '{STRIPE}'")]))
    (git_repo / "pyproject.toml").write_text('[tool.nbtools.scan]\nbaseline = ".b.json"\n')
    monkeypatch.chdir(git_repo)
    assert main(["scan", "-q", "--update-baseline", "."]) == 0
    monkeypatch.chdir(git_repo.parent)
    capsys.readouterr()
    assert main(["scan", "-q", "repo"]) == 0
    assert main(["check", "-q", "--select", "secrets", "repo"]) == 0


def _nested_exclude(tmp_path: Path, table: str = "") -> Path:
    """A pull request's folder with a secret and a pyproject.toml that tries to hide it."""
    folder = tmp_path / "nb"
    path = write_nb(folder / "a.ipynb", make_nb([make_cell("code", f"k = '{STRIPE}'")]))
    (folder / "pyproject.toml").write_text(
        table or '[tool.nbtools]\nexclude = ["**"]\n', encoding="utf-8"
    )
    return path


def test_tree_config_exclude_cannot_hide_a_file_from_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _nested_exclude(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, data = run_json(["nb/a.ipynb"], capsys)
    assert code == 0  # suppressed, so not failing; but never hidden:
    assert data["findings"] == []
    (hidden,) = data["suppressed"]
    assert hidden["rule"] == "scan/stripe-key" and STRIPE not in json.dumps(data)
    assert hidden["suppression"]["source"] == "exclude"
    assert hidden["suppression"]["location"].endswith("nb/pyproject.toml:2")
    assert [f["status"] for f in data["files"]] == ["excluded"]
    assert main(["scan", "nb/a.ipynb"]) == 0
    assert "1 suppressed (1 by exclude " in capsys.readouterr().err
    # a --config file is chosen by whoever runs nbtools: it may skip files outright
    code, data = run_json(["--config", str(path.parent / "pyproject.toml"), "nb/a.ipynb"], capsys)
    assert (code, data["files"], data.get("suppressed")) == (0, [], None)


def test_tree_config_ignore_rules_suppress_and_say_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _nested_exclude(tmp_path, '[tool.nbtools.scan]\nignore_rules = ["scan"]\n')
    monkeypatch.chdir(tmp_path)
    code, data = run_json(["nb/a.ipynb"], capsys)
    assert code == 0 and data["findings"] == []
    assert data["suppressions"] == [
        {
            "source": "ignore_rules",
            "location": f"{Path('nb') / 'pyproject.toml'}:2",
            "kind": "external",
            "count": 1,
        }
    ]


def test_check_still_scans_what_tree_config_excludes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _nested_exclude(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--format", "json", "nb/a.ipynb"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(f["rule"], f["suppression"]["source"]) for f in data["suppressed"]] == [
        ("scan/stripe-key", "exclude")
    ]


def test_sarif_reports_every_suppression_as_a_suppressed_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sarif_support import check_sarif

    monkeypatch.chdir(tmp_path)
    _nested_exclude(tmp_path)
    cells = [
        make_cell("code", f"a = '{STRIPE}'  # nbtools: allow test key"),
        make_cell("code", f"b = '{GHP}'", metadata={"tags": ["nbtools-allow"]}),
        make_cell("code", f"c = '{STRIPE}x'"),
        make_cell("code", f"d = '{GHP}'.lower()"),
    ]
    write_nb(tmp_path / "m.ipynb", make_nb(cells))
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nbtools]\nexclude = ["nb/**"]\n\n'
        '[tool.nbtools.scan]\nignore_rules = ["scan/github-token"]\n'
    )
    assert main(["scan", "--baseline", "b.json", "--update-baseline", "m.ipynb"]) == 0
    write_nb(tmp_path / "m.ipynb", make_nb([*cells, make_cell("code", f"e = '{STRIPE}y'")]))
    capsys.readouterr()
    code = main(["scan", "--format", "sarif", "--baseline", "b.json", "m.ipynb", "nb/a.ipynb"])
    log = check_sarif(json.loads(capsys.readouterr().out))
    assert code == 1  # the one new finding
    results = log["runs"][0]["results"]
    kinds = sorted(
        (r["suppressions"][0]["kind"], r["suppressions"][0]["properties"]["source"])
        for r in results
        if "suppressions" in r
    )
    assert kinds == [
        ("external", "baseline"),
        ("external", "exclude"),
        ("external", "ignore_rules"),
        ("inSource", "cell tag"),
        ("inSource", "comment"),
    ]
    assert [r["ruleId"] for r in results if "suppressions" not in r] == ["scan/stripe-key"]
    config = next(
        r
        for r in results
        if "suppressions" in r and r["suppressions"][0]["properties"]["source"] == "ignore_rules"
    )
    where = config["suppressions"][0]["location"]["physicalLocation"]
    assert (where["artifactLocation"]["uri"], where["region"]["startLine"]) == ("pyproject.toml", 5)
    assert all(r["suppressions"][0]["justification"] for r in results if "suppressions" in r)
    assert STRIPE not in json.dumps(log) and GHP not in json.dumps(log)


@pytest.mark.parametrize(
    ("name", "scanned"),
    [
        ("nb.ipynb", True),
        ("job.py", True),
        ("deploy.sh", True),
        ("run.bash", True),
        (".env", True),
        (".env.local", True),
        ("prod.env", True),
        ("Dockerfile", True),
        ("Dockerfile.prod", True),
        ("api.Dockerfile", True),
        ("Containerfile", True),
        ("sshd_config", True),
        ("README.md", False),
        ("data.csv", False),
        ("environment.yml", False),
        ("image.png", False),
    ],
)
def test_one_definition_of_the_files_scan_covers(name: str, scanned: bool) -> None:
    """The directory walk and the published pre-commit hook's `files` use one pattern."""
    import re

    from nbtools.secrets.scanner import SCANNED_FILES, scanned_name

    assert scanned_name(name) is scanned
    assert (re.search(SCANNED_FILES, f"sub/dir/{name}") is not None) is scanned


def test_walk_finds_env_variants_and_odd_encodings_are_scanned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".env.local").write_text(f"GITHUB_TOKEN={GHP}\n")
    (tmp_path / "Dockerfile.prod").write_text(f"FROM python\nENV GITHUB_TOKEN={GHP}\n")
    (tmp_path / "legacy.sh").write_bytes(f"# caf\xe9\nexport T={GHP}\n".encode("latin-1"))
    (tmp_path / "notes.txt").write_text(f"{GHP}\n")  # not covered by a walk
    code, data = run_json([str(tmp_path)], capsys)
    assert code == 1
    assert {Path(f["path"]).name for f in data["findings"]} == {
        ".env.local",
        "Dockerfile.prod",
        "legacy.sh",
    }
    assert all(f["status"] != "error" for f in data["files"])
