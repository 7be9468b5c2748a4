"""What runs in production decides a gap's priority (issue 11, first steps): code that is not served,
callers that are not the served frontend, skipped tests, one root cause, compose overlays and env
reads with a fallback."""

from __future__ import annotations

from pathlib import Path

from conftest import scan_json

BLOCKING = "import time\n\n\nasync def handler():\n    time.sleep(1)\n"


def _project(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _gaps(report: dict) -> dict[tuple[str, str], dict]:
    return {(g["rule"], g["file"]): g for g in report["gaps"]}


def test_blocking_code_under_scripts_and_examples_is_p2_with_the_reason(tmp_path):
    root = _project(tmp_path, {"app/main.py": BLOCKING, "scripts/backfill.py": BLOCKING,
                               "examples/demo/run.py": BLOCKING})
    gaps = _gaps(scan_json(root)[1])
    assert gaps[("GA103", "app/main.py")]["priority"] == "P0"
    for rel, folder in (("scripts/backfill.py", "scripts"), ("examples/demo/run.py", "examples")):
        assert gaps[("GA103", rel)]["priority"] == "P2"
        assert gaps[("GA103", rel)]["evidence"]["runs_in"].startswith(f"code under {folder}/")


def test_one_gap_per_async_function_and_rule(tmp_path):
    source = ("import time\n\n\nasync def handler():\n    time.sleep(1)\n    time.sleep(2)\n    time.sleep(3)\n")
    report = scan_json(_project(tmp_path, {"app/main.py": source}))[1]
    [gap] = [g for g in report["gaps"] if g["rule"] == "GA103"]
    assert gap["line"] == 5 and gap["evidence"]["same_function"] == [
        "time.sleep at app/main.py:6", "time.sleep at app/main.py:7"]


def test_undeclared_routes_requested_by_tests_or_outside_clients_are_p2(tmp_path):
    root = _project(tmp_path, {
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/api/items')\nasync def items():\n    return []\n",
        "tests/test_api.py": "def test_missing(client):\n    client.get('/api/missing')\n\n\ndef test_docs(client):\n    client.get('/openapi.json')\n",
        "web/src/api.ts": "export const f = () => fetch('/api/gone');\n",
        "cli/src/login.ts": "export const g = () => fetch('/api/v9/hosted');\n",
    })
    gaps = _gaps(scan_json(root)[1])
    assert gaps[("GA401", "web/src/api.ts")]["priority"] == "P0"  # the served frontend: a 404 in production
    assert gaps[("GA401", "tests/test_api.py")]["priority"] == "P2"
    assert gaps[("GA401", "tests/test_api.py")]["evidence"]["caller"].startswith("a test")
    assert gaps[("GA401", "cli/src/login.ts")]["priority"] == "P2"
    assert not [g for g in gaps.values() if "openapi" in g["message"]]  # FastAPI serves it by itself


def test_a_compose_overlay_is_not_a_deployment_missing_keys(tmp_path):
    root = _project(tmp_path, {
        "app/settings.py": "import os\n\nLEVEL = os.environ['LOG_LEVEL']\nTIMEOUT = os.environ.get('TIMEOUT') or '5'\n",
        "docker-compose.test.yml": "services:\n  api:\n    image: api\n    environment:\n      LOG_LEVEL: debug\n      TIMEOUT: '1'\n",
        "docker-compose.prod.yml": "services:\n  api:\n    image: api\n    environment:\n      OTHER: x\n",
        "docker-compose.gpu.yml": "services:\n  api:\n    deploy:\n      resources: {}\n",
    })
    gaps = [g for g in scan_json(root)[1]["gaps"] if g["rule"] == "GA301"]
    assert [(g["evidence"]["key"], g["evidence"]["production"].split("#")[0]) for g in gaps] == [
        ("LOG_LEVEL", "docker-compose.prod.yml")]  # not TIMEOUT (it has a fallback), not the overlay


def test_compose_required_variable_syntax_is_a_reference_not_a_secret(tmp_path):
    root = _project(tmp_path, {
        "app/settings.py": "import os\n\nSECRET = os.environ['SECRET_KEY']\n",
        "docker-compose.prod.yml": ("services:\n  api:\n    image: api\n    environment:\n"
                                    "      SECRET_KEY: ${SECRET_KEY:?set SECRET_KEY}\n      DB_PASSWORD: ${DB_PASSWORD?required}\n"),
    })
    assert not [g for g in scan_json(root)[1]["gaps"] if g["rule"] == "GA306"]


def test_syntax_newer_than_the_running_python_says_which_python_to_run(tmp_path):
    import sys

    newer = f"3.{sys.version_info.minor + 1}"
    root = _project(tmp_path, {
        "pyproject.toml": f'[project]\nname = "svc"\nrequires-python = ">={newer}"\n',
        "app/main.py": BLOCKING,
        "app/new.py": "def f[T](x: T) -> T:\n    return x\n" if sys.version_info < (3, 12) else "match = (\n",
    })
    code, report = scan_json(root)
    [skipped] = report["skipped"]
    assert skipped["file"] == "app/new.py" and skipped["limit"] is True
    assert f"requires Python >={newer}" in skipped["reason"] and "run gapaudit with that Python" in skipped["reason"]
    assert code == 1 and report["complete"] is False  # the P0 in app/main.py, and the scan says it is incomplete
