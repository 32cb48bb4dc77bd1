"""The rule table through the engine: each credential kind found, each look-alike not.

All values are FAKE, built from fragments at run time so that no scanner flags this file.
"""

from __future__ import annotations

import random
import string

import pytest

from nbtools.secrets.engine import Engine, strip_ansi
from nbtools.secrets.masking import fingerprint, mask
from nbtools.secrets.rules import SECRET_RULES
from nbtools.secrets.values import credential_name, entropy, is_placeholder

RNG = random.Random(7)


def rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


@pytest.fixture(autouse=True)
def _own_draws(request: pytest.FixtureRequest) -> None:
    """What a test draws from RNG depends on its name alone, not on which tests of this module
    ran before it in the process (xdist, -k and another order gave other tokens)."""
    RNG.seed(request.node.name)


UP = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"
PEM_BODY = "\n".join(rand(64, string.ascii_letters + string.digits + "+/") for _ in range(4))

POSITIVE = [
    ("scan/aws-access-key-id", f'key_id = "AKIA{rand(16, UP)}"'),
    ("scan/aws-secret-access-key", f"AWS_SECRET_ACCESS_KEY={rand(40)}"),
    ("scan/github-token", f"gh = 'ghp_{rand(36)}'"),
    ("scan/github-fine-grained-token", f"github_pat_{rand(22)}_{rand(59)}"),
    ("scan/gitlab-token", f"remote https://x:glpat-{rand(20)}@gitlab.example.com/a.git"),
    ("scan/slack-token", f"'xoxb-{rand(11, string.digits)}-{rand(13, string.digits)}-{rand(24)}'"),
    (
        "scan/slack-webhook",
        f"https://hooks.slack.com/services/T{rand(8, UP)}/B{rand(10, UP)}/{rand(24)}",
    ),
    ("scan/stripe-key", f"stripe.api_key = 'sk_live_{rand(24)}'"),
    ("scan/openai-key", f"sk-proj-{rand(40)}T3BlbkFJ{rand(40)}"),
    ("scan/openai-key", f"Authorization: Bearer sk-{rand(20)}T3BlbkFJ{rand(20)}"),
    ("scan/anthropic-key", f"sk-ant-api03-{rand(93)}"),
    ("scan/huggingface-token", f"%env HF_TOKEN=hf_{rand(34, string.ascii_letters)}"),
    ("scan/google-api-key", f"?key=AIza{rand(35)}&address=x"),
    ("scan/azure-storage-key", f"AccountName=acct;AccountKey={rand(86)}==;EndpointSuffix=core"),
    (
        "scan/azure-storage-key",
        f"Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={rand(43)}=",
    ),
    ("scan/basic-auth-password", 'requests.get(url, auth=("analyst", "Xq7!mP2#vL9$"))'),
    ("scan/basic-auth-password", "HTTPBasicAuth('analyst', 'Xq7!mP2#vL9$')"),
    ("scan/sendgrid-key", f"SG.{rand(22)}.{rand(43)}"),
    ("scan/npm-token", f"//registry.npmjs.org/:_authToken=npm_{rand(36)}"),
    ("scan/pypi-token", f"password = pypi-AgEIcHlwaS5vcmc{rand(60)}"),
    ("scan/databricks-token", f"DATABRICKS = 'dapi{rand(32, HEX)}'"),
    ("scan/jwt", f"eyJhbGciOiJIUzI1NiJ9.eyJ{rand(40)}.{rand(43)}"),
    (
        "scan/private-key",
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
    ),
    (
        "scan/private-key",
        f'k = "-----BEGIN PRIVATE KEY-----\\n{rand(64)}\\n-----END PRIVATE KEY-----"',
    ),
    ("scan/private-key", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n"),
    ("scan/url-password", f"mongodb+srv://app:{rand(14)}@cluster0.example.net/db"),
    ("scan/url-password", f"redis://:{rand(16)}@cache.internal:6379/0"),
    ("scan/url-password", f"amqp://guest:{rand(10)}@rabbit:5672/"),
    ("scan/netrc-password", f"machine api.example.net\n  login me\n  password {rand(12)}"),
    ("scan/netrc-password", f"default login anonymous password {rand(12)}"),
    ("scan/google-oauth-client-secret", f'"client_secret": "GOCSPX-{rand(28)}"'),
    ("scan/jupyter-token-url", f"http://127.0.0.1:8888/lab?token={rand(48, HEX)}"),
    ("scan/auth-header", f"-H 'Authorization: Bearer {rand(40)}'"),
    ("scan/url-query-secret", f"https://api.example.com/v1?access_token={rand(32)}"),
    ("scan/secret-assignment", "db_password = 'Xq7!mP2#vL9$'"),
    ("scan/secret-assignment", "  password: 4zq7Tt%o^%CL9iP"),
    ("scan/secret-assignment", 'client.connect(host, password="js8^ZgOg!8l0NE")'),
    ("scan/secret-assignment", f'{{"client_secret": "{rand(32)}"}}'),
    ("scan/secret-assignment", f"export API_KEY={rand(32)}"),
    ("scan/secret-assignment", f"apiKey: '{rand(24)}'"),
    ("scan/secret-assignment", 'os.environ["DB_PASSWORD"] = "Xq7!mP2#vL9$"'),
    ("scan/aws-secret-access-key", f"os.environ['AWS_SECRET_ACCESS_KEY'] = '{rand(40)}'"),
    ("scan/high-entropy-string", f"CONFIG = Client('{rand(40)}')"),
    (
        "scan/jupyter-no-token-cli",
        "docker run -p 8888:8888 img jupyter lab --ServerApp.token='' --ip=0.0.0.0",
    ),
]

NEGATIVE = [
    'api_key = "YOUR_API_KEY"',
    'OPENAI_API_KEY = "sk-..."  # set me',
    "token = 'xxx'  # TODO",
    'registry_password = "<password>"',
    "postgresql://<user>:<password>@<host>:5432/<db>",
    'token = os.environ["GITHUB_TOKEN"]',
    "password = getpass.getpass('Password: ')",
    "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    f'EXPECTED_SHA256 = "{rand(64, HEX)}"',
    f'MODEL_MD5 = "{rand(32, HEX)}"',
    f"git+https://github.com/acme/lib@{rand(40, HEX)}",
    f'"weights.bin": "sha256:{rand(64, HEX)}"',
    "AZURE_CLIENT_ID = '854eda26-c4c2-4d4b-b94d-5fac0edf0e1f'",
    "UUID('854eda26-c4c2-4d4b-b94d-5fac0edf0e1f')",
    "array([0.17165488, 0.24386083, 0.10620423, 0.56166564])",
    "SECRET_NAME = 'prod/warehouse/readonly'",
    "api_key_header = 'X-API-Key'",
    "token_url = 'https://login.example.com/oauth2/v2.0/token'",
    "tokenizer = AutoTokenizer.from_pretrained('bert-base-uncased', token=True)",
    "max_new_tokens = 256",
    'password = cfg["password"]',
    'os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = "my_service_account_private_key.json"',
    'if cfg["api_key"] == expected_key:',
    "CI injects ${{ secrets.HF_TOKEN }}",
    "%env OPENAI_API_KEY",
    "<keras.engine.functional.Functional object at 0x7f2985596dc3>",
    "monkey = 'Banana12!Split'",
    "password_hash = 'Xq7!mP2#vL9$abc'",
    f'src="data:image/png;base64,iVBORw0KGgo{rand(80)}"',
    "c.ServerApp.password = 'argon2:$argon2id$v=19$m=10240,t=10,p=8$abc'",
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
    f"run_id = '{rand(32, HEX)}'",
    "requests.get(url, auth=(user, password))",
    "HTTPBasicAuth('analyst', 'password')",
]


@pytest.fixture(params=["pure", "hyperscan"])
def engine(request: pytest.FixtureRequest) -> Engine:
    if request.param == "hyperscan":
        pytest.importorskip("hyperscan")
    built = Engine(SECRET_RULES, accelerate=request.param == "hyperscan")
    assert built.anchors.accelerated is (request.param == "hyperscan")
    return built


def rules_in(engine: Engine, text: str) -> list[str]:
    return [hit.rule.id for hit in engine.scan([text])]


@pytest.mark.parametrize(
    ("rule", "text"), POSITIVE, ids=[f"{r}-{i}" for i, (r, _) in enumerate(POSITIVE)]
)
def test_each_credential_kind_is_found(engine: Engine, rule: str, text: str) -> None:
    assert rule in rules_in(engine, text)


@pytest.mark.parametrize("text", NEGATIVE)
def test_look_alikes_are_not_findings(engine: Engine, text: str) -> None:
    assert rules_in(engine, text) == []


def test_pure_and_accelerated_paths_agree_on_mixed_text() -> None:
    pytest.importorskip("hyperscan")
    texts = (
        [t for _, t in POSITIVE]
        + NEGATIVE
        + ["café ünïcode — " + POSITIVE[2][1], "İstanbul " + POSITIVE[7][1]]
    )
    pure = Engine(SECRET_RULES, accelerate=False).scan(texts)
    fast = Engine(SECRET_RULES, accelerate=True).scan(texts)
    as_tuples = [
        [(h.part, h.rule.id, h.start, h.end, h.line, h.value) for h in hits]
        for hits in (pure, fast)
    ]
    assert as_tuples[0] == as_tuples[1]
    assert len(pure) >= len(POSITIVE)


def test_hit_lines_and_parts_are_per_text(engine: Engine) -> None:
    token = f"ghp_{rand(36)}"
    hits = engine.scan(["nothing here", f"a = 1\nb = 2\nc = '{token}'"])
    assert [(h.part, h.line, h.value) for h in hits] == [(1, 3, token)]


def test_a_rule_never_spans_two_parts(engine: Engine) -> None:
    assert engine.scan(["postgres://user:", "pw12345678@host"]) == []


def test_overlapping_rules_keep_the_specific_one(engine: Engine) -> None:
    text = f"https://oauth2:glpat-{rand(20)}@gitlab.example.com/x.git"
    assert rules_in(engine, text) == ["scan/gitlab-token"]


def test_strip_ansi() -> None:
    assert (
        strip_ansi("\x1b[0;32m      2\x1b[0m stripe\x1b[38;5;241m.\x1b[39mapi_key")
        == "      2 stripe.api_key"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_...6789"),
        ("Sge0hCV^LeIPdyk4", "Sg...k4"),
        ("short", "***"),
        ("abcdefgh", "a...h"),
    ],
)
def test_mask_shows_only_the_ends(value: str, expected: str) -> None:
    assert mask(value) == expected


def test_mask_of_a_key_block_is_its_header() -> None:
    assert mask("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n") == "-----BEGIN EC PRIVATE KEY-----..."


def test_fingerprint_is_stable_and_hides_the_value() -> None:
    first = fingerprint("a/nb.ipynb", "scan/jwt", "secret-value")
    assert first == fingerprint("a/nb.ipynb", "scan/jwt", "secret-value")
    assert first != fingerprint("b/nb.ipynb", "scan/jwt", "secret-value")
    assert "secret" not in first and len(first) == 32


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("db_password", True),
        ("apiKey", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("GITHUB_TOKEN", True),
        ("SECRET_NAME", False),
        ("token_url", False),
        ("api_key_header", False),
        ("cache_key", False),
        ("max_tokens", False),
    ],
)
def test_credential_names(name: str, expected: bool) -> None:
    assert credential_name(name) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("YOUR_API_KEY", True), ("xxxxxxxx", True), ("<password>", True), ("Xq7!mP2#vL9$", False)],
)
def test_placeholders(value: str, expected: bool) -> None:
    assert is_placeholder(value) is expected


def test_entropy_orders_random_above_repetitive() -> None:
    assert entropy(rand(40)) > 4.5 > entropy("aaaaabbbbb")


def test_rule_ids_are_unique_and_namespaced() -> None:
    ids: list[str | None] = [r.id for r in SECRET_RULES]
    assert len(ids) == len(set(ids))
    assert all(i and i.startswith("scan/") for i in ids)
