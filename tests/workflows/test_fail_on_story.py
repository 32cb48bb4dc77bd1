"""Stories: what fails a run is decided by fail_on; a model id is not a secret."""

from __future__ import annotations

from pathlib import Path

from story import code, jupyter_notebook, nbtools, stream

UNNAMED_KEY = "Zk8Qw2Lm9Xr4Tb7Vn1Hs6Jd3Fg5Pa0YeUo8Ri2Kx"


def test_a_hugging_face_notebook_passes_scan_and_a_warning_fails_only_when_asked(
    git_repo: Path,
) -> None:
    nb = jupyter_notebook(
        git_repo / "caption.ipynb",
        [
            code(
                "from transformers import Blip2ForConditionalGeneration\n"
                'model = Blip2ForConditionalGeneration.from_pretrained("org/blip2-opt-2.7b-fp16-sharded")\n'
                'ds = load_dataset("HuggingFaceM4/VQAv2-sample-2023v1-validation-subset")\n'
                'run = api.run("entity-name/proj-7/runs/2k3j4h5g6f7d8s9a1q2w3e4r")',
            ),
            code("print(model.config.name_or_path)", [stream("org/blip2-opt-2.7b-fp16-sharded\n")]),
        ],
    )
    scanned = nbtools("scan", str(nb), cwd=git_repo)
    assert scanned.returncode == 0, scanned.stdout + scanned.stderr
    assert "high-entropy" not in scanned.stdout

    # an unnamed key is a warning: shown, and the run passes ...
    jupyter_notebook(git_repo / "client.ipynb", [code(f'client = Client("{UNNAMED_KEY}")')])
    warned = nbtools("scan", ".", cwd=git_repo)
    assert warned.returncode == 0, warned.stderr
    assert "client.ipynb:cell 1:1: scan/high-entropy-string" in warned.stdout
    # ... until the team says warnings fail
    (git_repo / "pyproject.toml").write_text('[tool.nbtools]\nfail_on = "warning"\n')
    strict = nbtools("scan", ".", cwd=git_repo)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert nbtools("check", "--select", "secrets", ".", cwd=git_repo).returncode == 1
