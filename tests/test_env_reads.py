"""Every form of environment read (python/env.py) on a small service, seen through the two
analyzers that read them: config-drift (what a deployment must provide) and infra-skip (which
services production names)."""

from __future__ import annotations

import shutil

import pytest
from conftest import FIXTURES, scan_json


@pytest.fixture(scope="module")
def gaps(tmp_path_factory):
    target = tmp_path_factory.mktemp("env") / "env_reads"
    shutil.copytree(FIXTURES / "env_reads", target)
    _, report = scan_json(target, "--fail-on", "never")
    return report["gaps"]


def _config(gaps, rule):
    return {g["evidence"]["key"]: g for g in gaps if g["rule"] == rule}


@pytest.mark.parametrize("key, where, form", [
    ("SMTP_HOST", "app/mailer.py:3", "os.getenv without a default"),
    ("MAIL_SENDER", "app/mailer.py:5", "os.environ.get without a default"),
    ("SMTP_PASSWORD", "app/mailer.py:10", "os.environ[...]"),
    ("WEBHOOK_SECRET", "app/secrets.py:4", "a name bound to dotenv_values(...)"),
    ("SIGNING_KEY", "app/secrets.py:5", "dotenv_values()[...]"),
    ("PAYMENTS_API_KEY", "app/settings.py:12", "BaseSettings field with alias="),
    ("SEARCH_URL", "app/settings.py:13", "BaseSettings Field(...) with validation_alias="),
])
def test_a_read_without_default_is_required(gaps, key, where, form):
    gap = _config(gaps, "GA301")[key]
    assert f"{gap['file']}:{gap['line']}" == where, form
    assert gap["priority"] == "P0"


@pytest.mark.parametrize("key, where", [
    ("SMTP_PORT", "app/mailer.py:4"),  # os.getenv(key, default)
    ("MAIL_REPLY_TO", "app/mailer.py:6"),  # os.environ.get(key, default)
    ("SHOP_PAGE_SIZE", "app/settings.py:11"),  # a field with a default, under env_prefix
    ("KAFKA_BROKERS", "app/settings.py:14"),  # Field(default=..., alias=...)
])
def test_a_read_with_default_is_named_in_the_drift_message(gaps, key, where):
    assert _config(gaps, "GA302")[key]["message"].endswith(f"(read with a default at {where})")
    assert key not in _config(gaps, "GA301")


def test_required_settings_field_under_prefix_is_satisfied_by_a_reference(gaps):
    # database_url: str with env_prefix SHOP_ -> SHOP_DATABASE_URL, a ${reference} in production
    assert not [g for g in gaps if g["evidence"].get("key") == "SHOP_DATABASE_URL"]


def test_setdefault_provides_its_own_value_so_config_drift_does_not_count_it(gaps):
    gap = _config(gaps, "GA302")["REDIS_URL"]
    assert "read with a default" not in gap["message"]
    assert "REDIS_URL" not in _config(gaps, "GA301")


def test_setdefault_still_names_the_service_production_uses(gaps):
    redis = next(g for g in gaps if g["rule"] == "GA201" and g["file"] == "tests/test_worker.py")
    assert redis["priority"] == "P1"
    assert redis["evidence"]["linking"] == ["redis: production uses it (app/worker.py reads REDIS_URL); CI provides none"]


def test_a_settings_field_does_not_say_production_uses_a_service(gaps):
    # KAFKA_BROKERS is only a BaseSettings field (with a default): an option, not a use
    kafka = next(g for g in gaps if g["rule"] == "GA201" and g["file"] == "tests/test_orders.py")
    assert kafka["priority"] == "P2"
    assert kafka["evidence"]["linking"] == ["kafka: production does not use it; CI provides none"]
