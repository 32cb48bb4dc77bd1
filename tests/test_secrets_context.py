"""Secrets without a prefix, found by context: keyword arguments, CLI flags in ``!`` and
``%%bash`` lines, env magics and listings, credential files printed in outputs, HTML tables
and escaped code, error messages. And the look-alikes that must stay quiet.

All values are FAKE, generated at run time.
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

import nbformat
import pytest

from nbtools.secrets.engine import Engine
from nbtools.secrets.rules import SECRET_RULES
from nbtools.secrets.scanner import scan_path

RNG = random.Random(11)
ENGINE = Engine(SECRET_RULES, accelerate=False)
FAST = Engine(SECRET_RULES, accelerate=True)  # hyperscan where installed


def rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


@pytest.fixture(autouse=True)
def _own_draws(request: pytest.FixtureRequest) -> None:
    """What a test draws from RNG depends on its name alone, not on which tests of this module
    ran before it in the process (xdist, -k and another order gave other tokens)."""
    RNG.seed(request.node.name)


HEX = "0123456789abcdef"
PW = "Tr0ub4dor&3x!q" + rand(4)

FOUND = [
    ("scan/wandb-api-key", f"wandb.login(key='{rand(40, HEX)}')"),
    ("scan/secret-assignment", f"client = OpenAI(api_key='{rand(48)}')"),
    ("scan/secret-assignment", f"login(token='{rand(37)}')"),
    ("scan/cli-sshpass", f"!sshpass -p '{PW}' ssh analyst@10.0.0.5"),
    ("scan/cli-sshpass", f"%%bash\nsshpass -p {PW} scp data.csv host:/srv"),
    ("scan/cli-mysql-password", f"!mysql -h db -u root -p'{PW}' sales"),
    ("scan/cli-mysql-password", f"!mysqldump -uroot -p{PW} sales > dump.sql"),
    ("scan/cli-curl-user", f"!curl -u admin:{PW} https://api.internal/v1"),
    ("scan/cli-curl-user", f"!curl -s --user 'admin:{PW}' \\\n  https://api.internal/v1"),
    ("scan/cli-login-password", f"!docker login -u bot -p {PW} registry.example.net"),
    ("scan/cli-login-password", f"!podman login --username bot --password '{PW}' quay.io"),
    ("scan/cli-login-password", f"!huggingface-cli login --token {rand(34)}"),
    ("scan/cli-login-password", f"!az login -u a@b.example -p {PW}"),
    ("scan/cli-wandb-login", f"!wandb login {rand(40, HEX)}"),
    ("scan/url-password", f"!git clone https://bot:{rand(30)}@github.com/acme/x.git"),
    ("scan/cli-redis-password", f"!redis-cli -h cache -a {PW} ping"),
    ("scan/cli-sqlcmd-password", f"!sqlcmd -S db -U sa -P '{PW}' -Q 'select 1'"),
    ("scan/cli-ldap-password", f"!ldapsearch -x -D cn=admin -w {PW} -b dc=x"),
    ("scan/cli-smb-password", f"!smbclient //srv/share -U admin%{PW}"),
    ("scan/cli-htpasswd", f"!htpasswd -b .htpasswd admin {PW}"),
    ("scan/cli-mongo-password", f"!mongosh --username app --password {PW} mongodb://db"),
    ("scan/cli-password-flag", f"!mlflow server --token {rand(32)} --port 5000"),
    ("scan/cli-password-env", f"!PGPASSWORD={PW} psql -h db -U app"),
    ("scan/secret-assignment", f"%env OPENAI_API_KEY={rand(40)}"),
    ("scan/secret-assignment", f"os.environ['SERVICE_TOKEN'] = '{rand(32)}'"),
    ("scan/secret-assignment", f"HOSTNAME=abc\nSERVICE_API_KEY={rand(32)}\nPATH=/usr/bin"),
    ("scan/kaggle-json-key", json.dumps({"username": "jdoe", "key": rand(32, HEX)})),
    (
        "scan/docker-config-auth",
        json.dumps(
            {"auths": {"ghcr.io": {"auth": base64.b64encode(f"bot:{PW}".encode()).decode()}}},
            indent=2,
        ),
    ),
    ("scan/private-key", json.dumps({"type": "service_account", "private_key": (
        "-----BEGIN PRIVATE KEY-----\n" + rand(64) + "\n-----END PRIVATE KEY-----\n")})),
    ("scan/html-table-secret", f"<table><tr><td>api_key</td><td>{rand(32)}</td></tr></table>"),
    (
        "scan/html-table-secret",
        "<table><thead><tr><th></th><th>user</th><th>password</th></tr></thead>"
        f"<tbody><tr><th>0</th><td>alice</td><td>{PW}</td></tr></tbody></table>",
    ),
    ("scan/html-escaped-secret", f"<pre>api_key = &quot;{rand(32)}&quot;</pre>"),
    ("scan/html-escaped-secret", f"<span>db_password=&#39;{rand(20)}&#39;</span>"),
    (
        "scan/quoted-secret-in-message",
        f"OperationalError: login failed for user 'admin' with password '{PW}'",
    ),
    ("scan/quoted-secret-in-message", f"ValueError: invalid api key '{rand(32)}'"),
    ("scan/secret-assignment", f"      3 def connect():\n----> 4     password = '{PW}'"),
]  # fmt: skip

QUIET = [
    "!mysql -u root -p sales",  # -p alone prompts
    "!sshpass -p $SSH_PASS ssh host",
    '!docker login -u bot -p "$REGISTRY_TOKEN" ghcr.io',
    "!docker login -u bot --password-stdin ghcr.io < token.txt",
    "!curl -u $USER:$PASS https://api.internal",
    "!curl -u user: https://api.internal",
    "!huggingface-cli login --token ${{ secrets.HF_TOKEN }}",
    "!wandb login",
    "!ssh -p 2222 analyst@host",
    "!pytest -p no:cacheprovider -q",
    "!mongosh --password",
    'model = AutoModel.from_pretrained("meta-llama/Llama-2-7b-chat-hf")',
    'ds = load_dataset("org/name-7b-hf", split="train")',
    "wandb.init(project='nlp', id='3kx9z2ab')",
    "sweep_id = wandb.sweep(cfg)  # 'acme/nlp/hb2k3j4l'",
    "host = 'abc123.eu-west-1.snowflakecomputing.com'",
    "workspace = 'adb-1234567890123456.7.azuredatabricks.net'",
    'image = "python@sha256:' + "ab" * 32 + '"',
    "channel_id = 1098765432109876543",
    "url = 'https://k8s-prod-ingress-4f9a2b7c1d.elb.us-east-1.amazonaws.com'",
    "key = 'AKIAIOSFODNN7EXAMPLE'",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'",
    "KeyError: token 'bert-base-uncased' not in vocabulary",
    "the token 'tokenizer_config.json' was not found",
    "<table><tr><th>token_count</th></tr><tr><td>12345678901</td></tr></table>",
    "<table><tr><td>password_hash</td><td>" + "ab" * 20 + "</td></tr></table>",
    '{"username": "jdoe", "key": "YOUR_KAGGLE_KEY"}',
    '{"auths": {"ghcr.io": {"auth": ""}}}',
    '{"cell_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"}',
]


@pytest.mark.parametrize(
    ("rule", "text"), FOUND, ids=[f"{r}-{i}" for i, (r, _) in enumerate(FOUND)]
)
def test_secret_found_by_its_context(rule: str, text: str) -> None:
    assert rule in [h.rule.id for h in ENGINE.scan([text])], text


@pytest.mark.parametrize("text", QUIET)
def test_look_alike_is_not_a_finding(text: str) -> None:
    assert [h.rule.id for h in ENGINE.scan([text])] == []


def _nb(tmp_path: Path, *cells: nbformat.NotebookNode) -> str:
    path = tmp_path / "nb.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=list(cells)), str(path))
    return str(path)


def test_traceback_frames_locals_and_evalue_are_each_located(tmp_path: Path) -> None:
    """An error output: the frame shows the source line, --xmode verbose the locals, and
    the message quotes the password; each is found in the traceback or evalue."""
    token = rand(32)
    cell = nbformat.v4.new_code_cell("connect()")
    cell.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="OperationalError",
            evalue=f"login failed with password '{PW}'",
            traceback=[
                "\x1b[0;31mOperationalError\x1b[0m  Traceback (most recent call last)",
                f"----> 3     client = Client(api_key='{token}')",
                f"        password = '{PW}'",
            ],
        )
    ]
    findings = scan_path(_nb(tmp_path, cell)).findings
    where = sorted((f.field or "", f.line or 0, f.rule) for f in findings)
    assert ("evalue", 1, "scan/quoted-secret-in-message") in where
    assert ("traceback", 2, "scan/secret-assignment") in where
    assert ("traceback", 3, "scan/secret-assignment") in where


def test_html_output_table_is_located_in_its_mime_part(tmp_path: Path) -> None:
    cell = nbformat.v4.new_code_cell("df")
    html = f"<table><tr><td>api_key</td><td>{rand(32)}</td></tr></table>"
    cell.outputs = [
        nbformat.v4.new_output(
            "execute_result", data={"text/html": html, "text/plain": "df"}, execution_count=1
        )
    ]
    [finding] = scan_path(_nb(tmp_path, cell)).findings
    assert (finding.rule, finding.field, finding.output_index) == (
        "scan/html-table-secret",
        "data.text/html",
        0,
    )


def test_cat_kaggle_json_output_is_found_with_the_accelerated_prefilter(tmp_path: Path) -> None:
    """The output text is JSON inside JSON: the raw prefilter must see ``\\"key\\"``."""
    pytest.importorskip("hyperscan")
    from nbtools.notebook import read_notebook
    from nbtools.secrets.notebook_scan import scan_notebook

    cell = nbformat.v4.new_code_cell("!cat ~/.kaggle/kaggle.json")
    text = json.dumps({"username": "jdoe", "key": rand(32, HEX)})
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    path = _nb(tmp_path, cell)
    fast = Engine(SECRET_RULES, accelerate=True)
    nbfile = read_notebook(path)
    assert fast.may_match(nbfile.raw)
    assert [f.rule for f in scan_notebook(nbfile, fast)] == ["scan/kaggle-json-key"]


def test_tokens_inside_a_base64_data_uri_are_not_findings() -> None:
    """Markdown and HTML outputs embed images as base64: any prefix occurs in them."""
    rng = random.Random(21)
    blob = "".join(rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(400))
    inner = "+EAAA" + rand(60, string.ascii_letters + string.digits) + "/"
    uri = f"![plot](data:image/png;base64,{blob[:200]}{inner}{blob[200:]})"
    assert [h.rule.id for h in ENGINE.scan([uri])] == []


def test_telegram_token_in_the_bot_api_url_is_found() -> None:
    token = f"{rand(10, string.digits)}:AA{rand(33)}"
    url = f"requests.get(f'https://api.telegram.org/bot{token}/sendMessage')"
    assert "scan/telegram-bot-token" in [h.rule.id for h in ENGINE.scan([url])]


@pytest.mark.parametrize(
    ("rule", "text"), FOUND, ids=[f"{r}-{i}" for i, (r, _) in enumerate(FOUND)]
)
def test_the_raw_prefilter_lets_each_context_through(rule: str, text: str) -> None:
    """In the raw JSON quotes are escaped and lines split: the hand-written raw anchors must
    still match wherever the rule can."""
    pytest.importorskip("hyperscan")
    cell = nbformat.v4.new_code_cell(text)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    raw = nbformat.writes(nbformat.v4.new_notebook(cells=[cell])).encode()
    assert FAST.may_match(raw)
    assert rule in [h.rule.id for h in FAST.scan([text])]
