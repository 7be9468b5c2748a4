"""GA301-GA308 on env, YAML, JSON, TOML and compose files, checked against what the code reads;
and no secret value ever reaches a report, the terminal or the cache."""

from __future__ import annotations

import pytest
from conftest import one_line_error, run_cli, scan_json, write_files

SECRETS = ["Zq8fK2pL9vX4mN7rT1yB6cW3hJ5dG0sA", "ghp_R2D2C3POr2d2c3poR2D2C3POr2d2c3poR2D2", "your-payments-key-here",
           "tok-test", "app:app@localhost"]


@pytest.fixture(scope="module")
def gaps(tmp_path_factory):
    import shutil

    from conftest import FIXTURES

    target = tmp_path_factory.mktemp("config") / "config"
    shutil.copytree(FIXTURES / "config", target)
    _, report = scan_json(target, "--fail-on", "never")
    return {(g["rule"], g["file"], g["evidence"]["key"]): g for g in report["gaps"] if g["category"] == "config-drift"}


def test_every_check_on_every_format(gaps):
    assert {key: gap["priority"] for key, gap in gaps.items()} == {
        # read without a default (os.environ[...]), set in tests, missing in production: at the reading line
        ("GA301", "app/storage.py", "GCS_PROJECT_ID"): "P0",
        ("GA304", "config/.env.production", "PAYMENTS_API_KEY"): "P0",
        # localhost in production while compose runs the deployment in containers
        ("GA303", "config/.env.production", "REDIS_URL"): "P0",
        ("GA303", "config/production.yaml", "database.host"): "P0",
        ("GA303", "config/prod.toml", "queue.broker"): "P0",
        ("GA303", "docker-compose.yml", "CACHE_HOST"): "P0",
        ("GA305", "config/.env.production", "VERIFY_SSL"): "P1",
        ("GA305", "config/.env.production", "CORS_ORIGINS"): "P1",
        ("GA305", "config/production.yaml", "auth.enabled"): "P1",
        ("GA305", "config/prod.toml", "queue.debug"): "P1",
        ("GA306", "config/.env.production", "AWS_SECRET_ACCESS_KEY"): "P1",
        ("GA306", "config/.env.production", "DEPLOY_NOTE"): "P1",  # a GitHub token shape under any name
        # read with a default: P1, and the message says where
        ("GA302", "config/.env.test", "GCS_BUCKET"): "P1",
        ("GA302", "docker-compose.test.yml", "TEST_MODE"): "P1",
        ("GA307", "config/.env.production", "FEATURE_NEW_PARSER"): "P2",
        ("GA308", "config/.env.production", "DB_POOL_SIZE"): "P2",
        ("GA308", "config/production.yaml", "database.timeout"): "P2",
        ("GA308", "config/settings.prod.json", "search.retries"): "P2",
    }


def test_pydantic_settings_references_and_bind_hosts(gaps):
    keys = {key for _, _, key in gaps}
    # APP_DATABASE_URL (pydantic field with env_prefix) is a ${reference} in production: fine;
    # HOST=0.0.0.0 is a bind address, not a dependency; multiline and quoted values parse
    assert not keys & {"APP_DATABASE_URL", "HOST", "SERVICE_TOKEN", "WELCOME_TEXT"}
    assert gaps[("GA302", "config/.env.test", "GCS_BUCKET")]["message"].endswith("(read with a default at app/storage.py:6)")
    assert gaps[("GA301", "app/storage.py", "GCS_PROJECT_ID")]["line"] == 5


def test_required_pydantic_field_missing_in_production(project):
    root = project("config")
    env = root / "config" / ".env.production"
    env.write_text(env.read_text().replace("APP_DATABASE_URL=${DATABASE_URL}\n", ""))
    _, report = scan_json(root, "--fail-on", "never")
    found = [g for g in report["gaps"] if g["rule"] == "GA301" and g["evidence"]["key"] == "APP_DATABASE_URL"]
    assert [(g["file"], g["line"], g["priority"]) for g in found] == [("app/settings.py", 8, "P0")]


def test_no_secret_value_reaches_any_output(project, tmp_path, user_cache):
    root = project("config")
    out = tmp_path / "out"
    terminal = run_cli("scan", str(root), "--output-dir", str(out), "--fail-on", "never")
    texts = [terminal.stdout, terminal.stderr] + [p.read_text() for p in out.iterdir()]
    texts.append("".join(p.read_text() for p in sorted(user_cache.rglob("*.json"))))
    assert texts[-1]  # the cache was written
    diff = run_cli("config-diff", str(root / "config" / ".env.test"), str(root / "config" / ".env.production"))
    texts += [diff.stdout, diff.stderr]
    assert len(texts) == 2 + 5 + 1 + 2
    for secret in SECRETS:
        for text in texts:
            assert secret not in text


def test_config_diff_side_by_side(project):
    root = project("config")
    done = run_cli("config-diff", str(root / "config" / "testing.yaml"), str(root / "config" / "production.yaml"))
    assert done.returncode == 0, done.stdout  # localhost is P1 without code and compose; nothing is P0
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()[1:4]}
    assert rows["auth.enabled"] == ["bool", "true", "bool", "false", "differs"]
    assert rows["database.timeout"] == ["number", "30", "number", "5", "differs"]
    assert "GA305 [P1] auth.enabled=false" in done.stdout
    env = run_cli("config-diff", str(root / "config" / ".env.test"), str(root / "config" / ".env.production"))
    assert env.returncode == 1 and "GA304 [P0]" in env.stdout  # the placeholder


def test_config_pairs_from_the_project_config(project):
    root = project("config")
    (root / "config" / "staging-a.env").write_text("ONLY_HERE=1\n")
    (root / "config" / "live-b.env").write_text("OTHER=1\n")
    (root / "gapaudit.yml").write_text("config-pairs:\n  - [config/staging-a.env, config/live-b.env]\n")
    _, report = scan_json(root, "--fail-on", "never")
    assert any(g["rule"] == "GA302" and g["evidence"]["key"] == "ONLY_HERE" for g in report["gaps"])
    (root / "gapaudit.yml").write_text("config-pairs: [config/a.env]\n")
    assert run_cli("scan", str(root), "--no-cache").returncode == 2


def test_config_diff_ranks_like_a_scan(project, tmp_path):
    """The project's priority and ignore keys apply to config-diff as to a scan (rank applies them)."""
    root = project("config")
    files = ("config/.env.test", "config/.env.production")
    (root / "gapaudit.yml").write_text("priority:\n  GA304: P1\nignore: [GA307]\n")
    done = run_cli("config-diff", *files, cwd=root)
    assert done.returncode == 0, done.stdout  # the placeholder, P0 by default, is P1 for this project
    assert "GA304 [P1]" in done.stdout and "GA307" not in done.stdout
    elsewhere = tmp_path / "strict.yml"
    elsewhere.write_text("priority:\n  GA306: P0\n")
    done = run_cli("config-diff", *files, "--config", str(elsewhere), cwd=root)
    assert done.returncode == 1 and "GA304 [P0]" in done.stdout and "GA306 [P0]" in done.stdout
    (root / "gapaudit.yml").write_text("ignore: [GA399]\n")
    assert "unknown rule GA399" in one_line_error(run_cli("config-diff", *files, cwd=root))


def test_a_password_of_a_service_that_publishes_no_port_is_p2(tmp_path):
    """A self-host compose file: the database's password is reachable only from the compose
    network (no `ports:`), so P2 with the reason; the same kind of value on a published service is
    P1, and a token shape is P1 wherever it is (a token works from anywhere)."""
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n"
        "  db:\n"
        "    image: postgres:16\n"
        "    environment:\n"
        "      POSTGRES_DB: shop\n"
        "      POSTGRES_USER: shop\n"
        "      POSTGRES_PASSWORD: Tr0ub4dor-shop-2024\n"
        "  web:\n"
        "    image: ghcr.io/acme/shop:1.4\n"
        "    ports: [\"8000:8000\"]\n"
        "    environment:\n"
        "      ADMIN_PASSWORD: Tr0ub4dor-admin-2024\n"
        "  worker:\n"
        "    image: ghcr.io/acme/shop:1.4\n"
        "    environment:\n"
        "      SYNC_TOKEN: ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8\n"
    )
    (tmp_path / "app.py").write_text("import os\n\nDATABASE_PASSWORD = os.environ.get('POSTGRES_PASSWORD')\n")
    _, report = scan_json(tmp_path, "--fail-on", "never")
    secrets = {g["evidence"]["key"]: g for g in report["gaps"] if g["rule"] == "GA306"}
    assert secrets["POSTGRES_PASSWORD"]["priority"] == "P2"
    assert "publishes no port" in secrets["POSTGRES_PASSWORD"]["evidence"]["reachable"]
    assert secrets["ADMIN_PASSWORD"]["priority"] == "P1" and "reachable" not in secrets["ADMIN_PASSWORD"]["evidence"]
    assert secrets["SYNC_TOKEN"]["priority"] == "P1"


def test_listen_addresses_are_not_dependencies_on_localhost(tmp_path):
    """`0.0.0.0` and `::` mean every interface: where a server listens (an OpenTelemetry
    collector's receivers), not a host anything connects to. Loopback in the same file is GA303."""
    write_files(tmp_path, {
        "docker-compose.yml": "services:\n  collector:\n    image: otel/opentelemetry-collector:0.98.0\n"
                              "    volumes: [\"./otel/collector-prod.yaml:/etc/otelcol/config.yaml\"]\n",
        "otel/collector-prod.yaml": "receivers:\n  otlp:\n    protocols:\n"
                                    "      grpc:\n        endpoint: 0.0.0.0:4317\n"
                                    "      http:\n        endpoint: \"[::]:4318\"\n"
                                    "exporters:\n  clickhouse:\n    endpoint: tcp://localhost:9000\n"
                                    "service:\n  telemetry:\n    metrics:\n      address: 0.0.0.0:8888\n"})
    _, report = scan_json(tmp_path, "--fail-on", "never")
    assert {g["evidence"]["key"] for g in report["gaps"] if g["rule"] == "GA303"} == {"exporters.clickhouse.endpoint"}


def test_localhost_is_the_host_on_the_host_network(tmp_path):
    """A compose service on the host's network (`network_mode: host`) reaches what the host
    publishes at localhost: not GA303. Its neighbour on the compose network is."""
    write_files(tmp_path, {
        "docker-compose.yml": "services:\n"
                              "  migrator:\n    image: acme/migrate:1\n    network_mode: host\n"
                              "    environment:\n      REDIS_URL: redis://localhost:6380\n"
                              "  web:\n    image: acme/web:1\n    ports: [\"80:80\"]\n"
                              "    environment:\n      REDIS_URL: redis://localhost:6380\n"})
    _, report = scan_json(tmp_path, "--fail-on", "never")
    assert [g["evidence"]["key"] for g in report["gaps"] if g["rule"] == "GA303"] == ["REDIS_URL"]
    assert "docker-compose.yml#web" in [g["message"] for g in report["gaps"] if g["rule"] == "GA303"][0]


COMPOSE_WITH_A_SECRET = "services:\n  web:\n    image: acme/web:2\n    ports: [\"80:80\"]\n" \
                        "    environment:\n      ADMIN_PASSWORD: Tr0ub4dor-admin-2024\n"


@pytest.mark.parametrize(("path", "header", "checked"), [
    ("docker-compose.yml", "", True),
    ("deploy/docker-compose.yml", "# Production stack: docker compose -f deploy/docker-compose.yml up -d\n", True),
    ("docker/compose/docker-compose.postgres.yml", "# Docker Compose file for running shop.\n#\n"
     "# To install: copy this file as 'docker-compose.yml' and run `docker compose up -d`.\n", False),
    ("compose.yaml", "# Compose file for development: `docker compose up` on your laptop.\n", False),
    ("docker-compose.override.yml", "", False),
    ("docker-compose.dev.yml", "", False),
    (".devcontainer/docker-compose.yml", "", False),
    ("tests/e2e/docker-compose.yml", "", False),
    ("docker/docker-compose.e2e.yml", "", False),  # surfsense's Playwright stack
    ("docker/docker-compose-with-callbacks.yml", "name: opal-callbacks-example\n", False),  # its project name
    ("deploy/compose.yml", "name: shop\n", True),
    ("examples/minimal/docker-compose.yml", "", False),
    ("scripts/test-environments/oidc/compose.yml", "", False),  # a word of a folder's name
    ("scripts/docker/devops/docker-compose.yml", "", False),  # phoenix's development stack: a script's tooling
    ("oidc/compose.yml", "# DO NOT USE THIS! This is only intended for testing OIDC when developing.\n", False),
    # takahe's: the warning follows the compose version line
    ("docker/docker-compose.yml", 'version: "3.4"\n\n# DO NOT USE THIS IN PRODUCTION - it is for development only\n', False),
    ("docker/docker-compose.yml", 'version: "3.4"\n\nx-common: &common\n  restart: always\n# for development\n', True),
])
def test_which_compose_files_are_production(tmp_path, path, header, checked):
    """Development, test, CI and example compose files are never checked as production: by their
    name, their folders, or what their leading comments say (a self-host template, a dev stack)."""
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(header + COMPOSE_WITH_A_SECRET)
    _, report = scan_json(tmp_path, "--fail-on", "never")
    assert bool([g for g in report["gaps"] if g["rule"] == "GA306"]) is checked


@pytest.mark.parametrize(("lines", "checked"), [
    ('    profiles: ["frontend-dev", "backend-dev", "ci"]\n', False),  # open-assistant's root compose file
    ('    profiles: ["inference"]\n', True),
    ('    profiles: ["inference", "ci"]\n', True),  # production may start it under "inference"
    ("    build:\n      context: .\n      target: dev\n", False),
    ("    build:\n      context: .\n      target: runtime\n", True),
])
def test_a_service_only_development_runs_is_not_production(tmp_path, lines, checked):
    """A compose service started only under development or CI profiles, or built from a
    development stage, is not deployed, whatever the file it is in."""
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_WITH_A_SECRET + lines)
    _, report = scan_json(tmp_path, "--fail-on", "never")
    assert bool([g for g in report["gaps"] if g["rule"] == "GA306"]) is checked
