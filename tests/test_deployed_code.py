"""Deployed code (issue 11, "how the repository itself deploys"): the processes deploy files
start, the modules they import, and the top-level folders nothing deployed imports from."""

from __future__ import annotations

from conftest import scan_json, write_files

from gapaudit.context import deploy_file, split_command

BLOCKING = "import requests\n\n@bot.event\nasync def fetch(url):\n    return requests.get(url, timeout=5)\n"
SERVICE = {
    "app/__init__.py": "",
    "app/main.py": "from fastapi import FastAPI\n\nfrom .client import fetch\n\napp = FastAPI()\n",
    "app/client.py": BLOCKING,
    # a harness nobody deploys, which drives the service over HTTP
    "evaluation/__init__.py": "",
    "evaluation/harness.py": BLOCKING,
    "gapaudit.yml": "report-unserved: true\n",
}


def _gaps(report: dict) -> dict[str, dict]:
    return {g["file"]: g for g in report["gaps"] if g["rule"] == "GA101"}


def test_a_folder_nothing_deployed_imports_from_is_not_served(tmp_path):
    root = write_files(tmp_path, {
        **SERVICE,
        "Dockerfile": 'FROM python:3.12\nCOPY . /app\nCMD ["/bin/bash", "/app/docker/entrypoint.sh"]\n',
        "docker/entrypoint.sh": "#!/bin/sh\nset -e\nalembic upgrade head\n"
                                "exec uvicorn --ssl-keyfile-password s3cr3t-pw app.main:app --host 0.0.0.0\n"})
    gaps = _gaps(scan_json(root)[1])
    assert gaps["app/client.py"]["priority"] == "P0"
    harness = gaps["evaluation/harness.py"]
    assert harness["priority"] == "P2"
    assert harness["evidence"]["runs_in"] == (
        "nothing the deployment starts: it starts `uvicorn app.main:app` (docker/entrypoint.sh:4, "
        "run by Dockerfile), and no import from those reaches any module under evaluation/")
    assert "s3cr3t-pw" not in str(harness), "a command's other arguments may hold a secret"


def test_without_a_deploy_file_every_module_counts_as_deployed(tmp_path):
    gaps = _gaps(scan_json(write_files(tmp_path, SERVICE))[1])
    assert gaps["evaluation/harness.py"]["priority"] == "P0"
    assert "runs_in" not in gaps["evaluation/harness.py"]["evidence"]


def test_a_command_running_code_the_tree_lacks_leaves_it_undecided(tmp_path):
    """`uvicorn service:app` where no module `service` is scanned: what it imports is unknown."""
    root = write_files(tmp_path, {**SERVICE, "Procfile": "web: uvicorn service:app --port $PORT\n"})
    assert _gaps(scan_json(root)[1])["evaluation/harness.py"]["priority"] == "P0"


def test_compose_kubernetes_and_console_scripts_start_code(tmp_path):
    """A compose service's command, a container's command and args, and a console script the
    pyproject declares each start the module they name; a test compose file starts nothing."""
    for deploy in (
            {"compose.yaml": "services:\n  api:\n    build: .\n    command: python -m evaluation.harness\n"},
            {"deploy/k8s.yaml": "spec:\n  containers:\n    - name: api\n      command: [\"python\"]\n"
                                "      args:\n        - -m\n        - evaluation.harness\n"},
            {"pyproject.toml": "[project]\nname = 'x'\n\n[project.scripts]\nharness = 'evaluation.harness:main'\n",
             "Dockerfile": "FROM python\nCMD harness --serve\n"}):
        root = write_files(tmp_path / str(len(deploy)) / next(iter(deploy)).replace("/", "_"),
                           {**SERVICE, **deploy, "tests/compose.yaml": "services:\n  t:\n    command: uvicorn app.main:app\n"})
        gaps = _gaps(scan_json(root)[1])
        assert gaps["evaluation/harness.py"]["priority"] == "P0", deploy
        assert gaps["app/client.py"]["priority"] == "P2", deploy


def test_modules_loaded_by_name_count_as_imported(tmp_path):
    """`uvicorn.run("evaluation.harness:app")` and `import_module(f"evaluation.{name}")` load
    what they name: a string spelling a module is an import."""
    for loader in ('import uvicorn\n\nuvicorn.run("evaluation.harness:app")\n',
                   'import importlib\n\n\ndef load(name):\n    return importlib.import_module(f"evaluation.{name}")\n'):
        root = write_files(tmp_path / str(len(loader)), {
            **SERVICE, "serve.py": loader, "Procfile": "web: python serve.py\n",
            "app/main.py": "from .client import fetch\n"})
        gaps = _gaps(scan_json(root)[1])
        assert gaps["evaluation/harness.py"]["priority"] == "P0", loader
        assert gaps["app/client.py"]["priority"] == "P2", loader


def test_deploy_commands_are_read_like_a_shell_reads_them():
    assert split_command('FOO=1 gosu app uvicorn a:b && echo "done; ok" | tee x') == [
        ["FOO=1", "gosu", "app", "uvicorn", "a:b"], ["echo", "done; ok"], ["tee", "x"]]
    dockerfile = deploy_file("Dockerfile", 'FROM x\nENTRYPOINT ["tini", "--"]\nCMD gunicorn \\\n  -k uvicorn proj.asgi\n')
    assert [c.words for c in dockerfile.commands] == [("tini", "--"), ("gunicorn", "-k", "uvicorn", "proj.asgi")]
    assert dockerfile.commands[1].line == 3
    assert deploy_file(".github/workflows/ci.yml", "jobs:\n  a:\n    command: x\n") is None
    assert deploy_file("README.md", "command: x") is None


def test_code_only_a_task_queue_worker_imports_is_at_most_p1(tmp_path):
    """morphik-core: compose starts the API with uvicorn and an arq worker; the worker's module,
    which no module of the API imports, runs its jobs in the worker's process. A blocking call
    there holds up the worker's other jobs, not requests: P1, saying which command runs it. A
    module both import stays the server's."""
    root = write_files(tmp_path, {
        **SERVICE,
        "app/worker.py": "from .client import fetch\nfrom .jobs import ingest\n\n\n"
                         "class WorkerSettings:\n    functions = [ingest]\n",
        "app/jobs.py": "import requests\n\n\nasync def ingest(ctx, url):\n    return requests.get(url, timeout=5)\n",
        "compose.yaml": "services:\n  api:\n    build: .\n    command: uvicorn app.main:app --host 0.0.0.0\n"
                        "  worker:\n    build: .\n    command: arq app.worker.WorkerSettings\n",
    })
    gaps = _gaps(scan_json(root)[1])
    assert gaps["app/client.py"]["priority"] == "P0"
    job = gaps["app/jobs.py"]
    assert job["priority"] == "P1"
    assert job["evidence"]["runs_in"].startswith(
        "a task queue's worker only: `arq app.worker.WorkerSettings` (compose.yaml:")
