"""No secret reaches any output: a hostile repository's config files hold every token shape,
secret-named numbers and passwords in URLs, and none of them, nor a short hash of one, appears
in a report (all five formats), the terminal, the cache or `gapaudit config-diff`; the repository's
real gaps are still reported and the secrets are reported as GA306, by shape."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from conftest import run_cli

from gapaudit.rules import builtin_rules_dir

BLOCKING = "import time\n@bot.event\nasync def handler():\n    time.sleep(1)\n"
READS = "import os\n\nDB_PASSWORD = os.environ['DB_PASSWORD']\nTIMEOUT = os.getenv('HTTP_TIMEOUT', '5')\n"

GITHUB = {prefix: f"{prefix}_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6{prefix.upper()}7r8" for prefix in ("ghp", "gho", "ghu", "ghs", "ghr")}
GITHUB_PAT = "github_pat_11AAQ7RZY0aBcDeFgHiJkLm_oPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVw"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhdHRhY2tlciIsImlhdCI6MTUxNjIzOTAyMn0"
       ".c2lnbmF0dXJlLXRoYXQtaXMtc2VjcmV0")
JWT_ITEM = "eyJhbGciOiJSUzI1NiJ9.eyJyb2xlIjoic2VydmljZSJ9.Zm9vYmFyYmF6cXV4LXNlY3JldC1zaWc"
AWS_ID = "AKIAZ7Q3X9V2L5K8M4N6"
AWS_TEMP_ID = "ASIAJ4K7M2P9Q3R6T8W1"
AWS_SECRET = "q8Zf2LpX9vK4mN7rT1yB6cW3hJ5dG0sA/eR2tY7+"  # 40 characters
SLACK = "xoxb-2048-4096-Qz8Kp2Lm9Xv4Nr7T"
WEBHOOK_PATH = "T0A1B2C3D/B4E5F6G7H/Zq8fK2pL9vX4mN7rT1yB6cW3"
WEBHOOK = f"https://hooks.slack.com/services/{WEBHOOK_PATH}"
KEY_BODY = "MIIEpAIBAAKCAQEAt9Zq8fK2pL9vX4mN7rT1yB6cW3hJ5dG0sA"
PRIVATE_KEY = f"-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----"
STRIPE = "sk_live_51HqZ8fK2pL9vX4mN7rT1yB6c"
GOOGLE = "AIza" + ("SyDq8Zf2LpX9vK4mN7rT1yB6cW3hJ5dG0sA" * 2)[:35]
URL_PASSWORD = "Pw4Url9Secret"
COMPOSE_URL_PASSWORD = "Cmp0seUrlPw77"
# secret-named values: numbers (.env text, YAML int and float, compose int), strings short and long
DB_PASSWORD, DB_PASSWORD_TEST = "918273645", "192837465"
API_KEY_NUMBER, PIN_NUMBER, REDIS_PASSWORD_NUMBER = 5647382910, 8642.9753, 7531902468
SECRET_KEY, SHORT_TOKEN = "Kx9Pq2Lr7Mt4Nv8W", "s3cr3tz"

SECRETS = [*GITHUB.values(), GITHUB_PAT, JWT, JWT_ITEM, AWS_ID, AWS_TEMP_ID, AWS_SECRET, SLACK, WEBHOOK,
           WEBHOOK_PATH, KEY_BODY, STRIPE, GOOGLE, URL_PASSWORD, COMPOSE_URL_PASSWORD, DB_PASSWORD,
           DB_PASSWORD_TEST, str(API_KEY_NUMBER), str(PIN_NUMBER), str(REDIS_PASSWORD_NUMBER), SECRET_KEY, SHORT_TOKEN]
SHAPES = {"aws-access-key", "aws-secret-key", "github-token", "slack-token", "slack-webhook", "stripe-live-key",
          "google-api-key", "jwt", "private-key", "url-password"}


def _env_production() -> str:
    github = "".join(f"GITHUB_{prefix.upper()}={token}\n" for prefix, token in GITHUB.items())
    return (f"DB_PASSWORD={DB_PASSWORD}\nSECRET_KEY={SECRET_KEY}\nAPI_TOKEN={SHORT_TOKEN}\n{github}"
            f"DEPLOY_PAT={GITHUB_PAT}\nSESSION_SEED={JWT}\nAWS_KEY_ID={AWS_ID}\nAWS_SESSION_ID={AWS_TEMP_ID}\n"
            f"BACKUP_BLOB={AWS_SECRET}\nNOTIFY={SLACK}\nALERTS_HOOK={WEBHOOK}\nTLS_KEY=\"{PRIVATE_KEY}\"\n"
            f"PAYMENTS={STRIPE}\nMAPS={GOOGLE}\nDATABASE_URL=postgres://app:{URL_PASSWORD}@db:5432/app\n"
            f"HTTP_TIMEOUT=5\nLOG_LEVEL=info\n{GITHUB['ghp']}\n")


def _files() -> dict[str, str]:
    return {
        "app/main.py": BLOCKING,
        "app/settings.py": READS,
        "config/.env.production": _env_production(),
        "config/.env.test": f"DB_PASSWORD={DB_PASSWORD_TEST}\nSECRET_KEY={SECRET_KEY}\nHTTP_TIMEOUT=30\nLOG_LEVEL=info\n",
        "config/production.yaml": yaml.safe_dump({
            "api_key": API_KEY_NUMBER, "pin_secret": PIN_NUMBER,
            "credentials": {"db": SECRET_KEY}, "signing": {"jwt": JWT},
            "allowed_tokens": [GITHUB["gho"], "plain"], GITHUB["ghs"]: "admin", "tls": {"key": PRIVATE_KEY},
        }),
        "config/testing.yaml": yaml.safe_dump({"api_key": 111, "pin_secret": PIN_NUMBER, "credentials": {"db": "x"}}),
        "docker-compose.yml": (
            "services:\n  api:\n    image: acme/api\n    environment:\n"
            f"      - {GITHUB['ghu']}\n      - {JWT_ITEM}\n      - SLACK_TOKEN={SLACK}\n"
            f"      - BROKER_URL=amqp://svc:{COMPOSE_URL_PASSWORD}@rabbit:5672/\n"
            f"  worker:\n    image: acme/worker\n    environment:\n      REDIS_PASSWORD: {REDIS_PASSWORD_NUMBER}\n"
            f"      STRIPE: {STRIPE}\n      LOG_LEVEL: info\n"
        ),
    }


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _forbidden() -> list[str]:
    """Every secret, and the 8-hex prefix of its MD5, SHA-1 and SHA-256 (any longer prefix holds it)."""
    found = []
    for secret in SECRETS:
        found.append(secret)
        for algorithm in ("md5", "sha1", "sha256"):
            found.append(hashlib.new(algorithm, secret.encode()).hexdigest()[:8])
    return found


def _leaks(texts: dict[str, str]) -> list[tuple[str, str]]:
    return [(where, secret) for where, text in texts.items() for secret in _forbidden()
            if secret in text or secret.lower() in text.lower()]


@pytest.fixture
def hostile(tmp_path) -> Path:
    return _write(tmp_path / "hostile", _files())


def test_no_secret_in_reports_terminal_or_cache_and_real_gaps_reported(hostile, tmp_path):
    out, cache = tmp_path / "reports", tmp_path / "cache"
    texts: dict[str, str] = {}
    for run in ("first", "cached"):  # the second run reads the cache: facts and link results
        done = run_cli("scan", str(hostile), "--output-dir", str(out), "--cache-dir", str(cache), "--fail-on", "never")
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
        texts[f"{run} stdout"], texts[f"{run} stderr"] = done.stdout, done.stderr
        texts.update({f"{run} {p.name}": p.read_text() for p in out.iterdir()})
    assert sorted(p.name for p in out.iterdir()) == ["gapaudit.html", "gapaudit.json", "gapaudit.md",
                                                     "gapaudit.sarif", "gapaudit.txt"]
    cached = [p for p in cache.rglob("*") if p.is_file()]
    assert len(cached) > 5
    texts.update({str(p): p.read_bytes().decode("utf-8", "replace") for p in cached})
    assert _leaks(texts) == []

    report = json.loads((out / "gapaudit.json").read_text())
    gaps = {(g["rule"], g["file"], g["evidence"].get("key", "")): g for g in report["gaps"]}
    # the real gap of the repository, and the config checks that need no value
    assert [(g["file"], g["line"]) for g in report["gaps"] if g["rule"] == "GA103"] == [("app/main.py", 4)]
    assert "GA103 [P0] time.sleep()" in texts["first stdout"] and "GA103 [P0] time.sleep()" in texts["cached stdout"]
    assert gaps[("GA308", "config/.env.production", "HTTP_TIMEOUT")]["message"] == (
        "HTTP_TIMEOUT is 5 in production and 30 in tests")
    # every token shape is recognised, under any key name, in list items, nested keys, URLs
    secrets = [g for g in report["gaps"] if g["rule"] == "GA306"]
    assert {g["evidence"]["why"] for g in secrets} >= SHAPES
    assert all(g["evidence"]["value"] == "redacted" for g in secrets)
    by_key = {(g["file"], g["evidence"]["key"]): g["evidence"]["why"] for g in secrets}
    assert by_key[("config/.env.production", "BACKUP_BLOB")] == "aws-secret-key"
    assert by_key[("config/.env.production", "DATABASE_URL")] == "url-password"
    assert by_key[("config/.env.production", "<github-token>")] == "github-token"  # a token alone on a line
    assert by_key[("config/production.yaml", "allowed_tokens")] == "github-token"  # a list item
    assert by_key[("config/production.yaml", "<github-token>")] == "github-token"  # a YAML key
    assert by_key[("config/production.yaml", "credentials.db")] == "secret-named key, real-looking value"
    assert by_key[("docker-compose.yml", "<github-token>")] == "github-token"  # compose item without `=`
    assert by_key[("docker-compose.yml", "<jwt>")] == "jwt"
    assert by_key[("docker-compose.yml", "BROKER_URL")] == "url-password"
    assert {key for _, key in by_key} >= {f"GITHUB_{p.upper()}" for p in GITHUB}
    compose_token = gaps[("GA306", "docker-compose.yml", "<jwt>")]
    assert compose_token["line"] == 6  # the item's own line, for the reader to find it


def test_secret_named_numbers_are_never_facts(hostile, tmp_path):
    """The cache holds a secret-named key's kind, never its value, not even a number."""
    cache = tmp_path / "cache"
    done = run_cli("scan", str(hostile), "--format", "json", "-o", "-", "--cache-dir", str(cache), "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    facts: dict[str, list[dict]] = {}  # key -> its value class in every config file holding it
    for shard in cache.rglob("*.json"):
        for entry in json.loads(shard.read_text()).values():
            if isinstance(entry, dict) and entry.get("analyzer") == "config-drift" and isinstance(entry["facts"], dict):
                for keys in (entry["facts"].get("env"), entry["facts"].get("config")):
                    for key, value in (keys or {}).items():
                        facts.setdefault(key, []).append(value)
    assert facts["DB_PASSWORD"] == [{"line": 1, "kind": "secret"}] * 2  # .env text, production and test
    assert [v["kind"] for v in facts["api_key"]] in (["secret", "string"], ["string", "secret"])  # YAML ints
    assert [v["kind"] for v in facts["pin_secret"]] == ["secret", "secret"]  # YAML floats
    assert all(set(v) == {"line", "kind"} for key in ("DB_PASSWORD", "api_key", "pin_secret") for v in facts[key])
    assert sorted(v["line"] for v in facts["LOG_LEVEL"]) == [4, 23]
    assert all(v == {"line": v["line"], "kind": "string"} for v in facts["LOG_LEVEL"])  # no digest, no length
    assert sorted(v["value"] for v in facts["HTTP_TIMEOUT"]) == [5, 30]  # a non-secret number is kept: GA308 needs it


def test_config_diff_shows_non_secret_values_and_hides_secrets(hostile):
    outputs = []
    for a, b in (("config/.env.test", "config/.env.production"), ("config/testing.yaml", "config/production.yaml"),
                 ("config/.env.production", "docker-compose.yml")):
        done = run_cli("config-diff", a, b, cwd=hostile)
        assert done.returncode in (0, 1) and "Traceback" not in done.stderr, done.stderr
        outputs.append(done)
    assert _leaks({f"config-diff {i}": d.stdout + d.stderr for i, d in enumerate(outputs)}) == []
    rows = {line.split()[0]: line for line in outputs[0].stdout.splitlines()[1:] if line.strip()}
    # a non-secret value is shown, quoted; a URL's password is not; a secret only by kind
    assert rows["LOG_LEVEL"].split()[1:] == ['string', '"info"', 'string', '"info"', 'same']
    assert '"postgres://app:***@db:5432/app"' in rows["DATABASE_URL"]
    assert rows["DB_PASSWORD"].split()[1:] == ["secret", "(hidden)", "secret", "(hidden)", "differs"]
    assert rows["SECRET_KEY"].endswith("same")  # compared within the run, never shown
    assert rows["MAPS"].split()[1:3] == ["-", "token"] and "google-api-key" in rows["MAPS"]
    assert "GA306 [P1] DATABASE_URL" in outputs[0].stdout and "holds a password in its URL" in outputs[0].stdout
    yaml_rows = {line.split()[0]: line for line in outputs[1].stdout.splitlines()[1:] if line.strip()}
    assert yaml_rows["api_key"].split()[1:] == ["string", "(hidden)", "secret", "(hidden)", "differs"]
    assert yaml_rows["pin_secret"].split()[-1] == "same"
    assert "api.<github-token>" in outputs[2].stdout and '"info"' in outputs[2].stdout


def test_config_diff_escapes_what_it_shows(tmp_path):
    (tmp_path / "testing.yaml").write_text('banner: "a\\u001b[31mred"\nnote: "run 2bd8deba-9939-4e47-8a4e-d565430c534d"\n')
    (tmp_path / "production.yaml").write_text('banner: plain\n"\\u001b[2Jkey": x\n')
    done = run_cli("config-diff", str(tmp_path / "testing.yaml"), str(tmp_path / "production.yaml"))
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    assert '"a\\u001b[31mred"' in done.stdout and "\\x1b[2Jkey" in done.stdout  # keys through gapaudit.escape
    assert "2bd8deba" not in done.stdout and '"run ***"' in done.stdout  # a random-looking run is hidden


def test_config_diff_help_says_what_it_shows():
    done = run_cli("config-diff", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())  # as click wraps it
    assert "never values" not in text and "Secrets are never shown" in text


def test_a_project_adds_a_token_shape(tmp_path):
    """Token shapes are data: a project's rule file adds its own, found and hidden like the built-in ones."""
    catalog = yaml.safe_load((builtin_rules_dir() / "config-drift.yml").read_text())["catalogs"]["config-drift"]
    catalog["token-shapes"]["acme-key"] = "acme_[A-Z0-9]{20}"
    root = _write(tmp_path / "svc", {
        "gapaudit.yml": "rule-paths: [team.yml]\n",
        "team.yml": yaml.safe_dump({"catalogs": {"config-drift": catalog}}),
        "config/.env.production": "INTEGRATION=acme_Q7RZY0ABCDEFGHIJ2345\n",
        "app/main.py": BLOCKING,
    })
    done = run_cli("scan", str(root), "--format", "json", "-o", "-", "--no-cache", "--fail-on", "never")
    assert done.returncode == 0, done.stderr
    assert "acme_Q7RZY0ABCDEFGHIJ2345" not in done.stdout
    found = {(g["rule"], g["evidence"].get("why")) for g in json.loads(done.stdout)["gaps"]}
    assert ("GA306", "acme-key") in found and ("GA103", None) in found
