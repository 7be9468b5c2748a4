"""GA201-GA203 on a realistic service whose tests skip, mock and never start the app."""

from __future__ import annotations

import pytest
from conftest import scan_json, write_files


@pytest.fixture(scope="module")
def gaps(tmp_path_factory):
    import shutil

    from conftest import FIXTURES

    target = tmp_path_factory.mktemp("infra") / "infra"
    shutil.copytree(FIXTURES / "infra", target)
    _, report = scan_json(target, "--fail-on", "never")
    return [g for g in report["gaps"] if g["rule"] in ("GA201", "GA202", "GA203")]


def _skips(gaps):
    return {(g["file"], g["line"]): (g["priority"], g["evidence"]["infra"], len(g["evidence"]["silenced_tests"]))
            for g in gaps if g["rule"] == "GA201"}


def test_every_infra_skip_form_is_found_and_ranked(gaps):
    assert _skips(gaps) == {
        # fixture skipping in `except redis.ConnectionError`: two tests use it through another fixture;
        # production imports redis and CI provides none
        ("tests/conftest.py", 17): ("P1", ["redis"], 2),
        # pytest_collection_modifyitems marking @pytest.mark.elastic tests
        ("tests/conftest.py", 34): ("P1", ["elasticsearch"], 1),
        # marker alias defined in helpers.py from a probe on port 9200, used in test_search.py
        ("tests/helpers.py", 20): ("P1", ["elasticsearch"], 1),
        # module-level pytestmark on credentials: every test of the module
        ("tests/test_storage.py", 8): ("P1", ["s3", "credentials"], 3),
        # CI starts a postgres service container: the test does run there
        ("tests/test_db.py", 8): ("P1", ["postgres"], 1),
        # unittest: skipTest in setUp silences the class, skipUnless a method; production uses neither
        ("tests/test_queue_unittest.py", 8): ("P2", ["rabbitmq"], 1),
        ("tests/test_queue_unittest.py", 10): ("P2", ["kafka"], 1),
        # a flag computed in another module by a socket probe on Consul's port
        ("tests/test_search.py", 17): ("P2", ["consul"], 1),
    }


def test_platform_version_optional_library_and_deliberate_skips_stay_silent(gaps):
    """A platform or version condition, an optional library, `pytest.skip()` with no condition and
    `skipif(True, ...)` (a test switched off everywhere, whatever its reason names) miss no service."""
    assert not [g for g in gaps if g["file"] == "tests/test_platform.py"]


def test_evidence_names_the_silenced_tests_and_the_linking(gaps):
    redis = next(g for g in gaps if g["rule"] == "GA201" and g["line"] == 17)
    assert sorted(redis["evidence"]["silenced_tests"]) == ["tests/test_cache.py::test_missing_key",
                                                           "tests/test_cache.py::test_set_and_get"]
    assert redis["evidence"]["linking"] == ["redis: production uses it (app/cache.py imports redis); CI provides none"]
    postgres = next(g for g in gaps if g["file"] == "tests/test_db.py")
    assert "CI provides it: .github/workflows/ci.yml (service container)" in postgres["evidence"]["linking"][0]


def test_mocked_adapters_and_fake_libraries(gaps):
    mocked = {(g["file"], g["line"]): g for g in gaps if g["rule"] == "GA202"}
    assert set(mocked) == {("app/storage.py", 4), ("tests/test_storage.py", 3)}
    s3 = mocked[("app/storage.py", 4)]
    assert s3["message"].startswith("S3Storage (s3) is only ever exercised through mocks: 2 mock sites")
    assert mocked[("tests/test_storage.py", 3)]["evidence"]["infra"] == ["mongo"]
    # RedisCache and SearchAdapter are constructed for real in tests: no gap


def test_startup_never_run_in_tests(gaps):
    startup = [g for g in gaps if g["rule"] == "GA203"]
    assert [(g["file"], g["line"]) for g in startup] == [("app/main.py", 14)]
    assert startup[0]["evidence"]["test_clients_without_with"] == ["tests/conftest.py:28"]


def test_a_with_client_runs_startup(project):
    root = project("infra")
    conftest = root / "tests" / "conftest.py"
    conftest.write_text(conftest.read_text().replace(
        "    return TestClient(app)", "    with TestClient(app) as test_client:\n        yield test_client"))
    _, report = scan_json(root, "--fail-on", "never")
    assert not [g for g in report["gaps"] if g["rule"] == "GA203"]


def test_ci_compose_file_and_testcontainers_provide_services(project):
    root = project("infra")
    (root / "docker-compose.test.yml").write_text("services:\n  cache:\n    image: redis:7\n")
    (root / "tests" / "test_containers.py").write_text(
        "from testcontainers.elasticsearch import ElasticSearchContainer\n\n\ndef test_x():\n    assert ElasticSearchContainer\n")
    _, report = scan_json(root, "--fail-on", "never")
    ranked = {(g["file"], g["line"]): g["priority"] for g in report["gaps"] if g["rule"] == "GA201"}
    # the skipped tests run in CI, which starts their service: no gap (every such gap read on the
    # evaluation set was judged false)
    assert ("tests/conftest.py", 17) not in ranked  # redis from the test compose file
    assert ("tests/helpers.py", 20) not in ranked  # elasticsearch from testcontainers
    assert ranked[("tests/test_search.py", 17)] == "P2"  # consul: nothing in CI provides it


def test_a_workflow_that_runs_docker_provides_docker(project, tmp_path):
    """A test that skips when `docker` is missing runs in CI when a workflow runs the docker CLI
    (`docker compose up`, `docker run`): that runner has a daemon. Mentioning docker is not enough."""
    root = _project_with_docker_skip(tmp_path, "      - run: echo 'see docker docs'\n")
    assert [g["priority"] for g in scan_json(root, "--fail-on", "never")[1]["gaps"] if g["rule"] == "GA201"] == ["P1"]
    for step in ("      - run: docker compose -f deploy/ci.yml up -d\n", "      - run: |\n          docker run -d redis:7\n"):
        root = _project_with_docker_skip(tmp_path / str(len(step)), step)
        assert not [g for g in scan_json(root, "--fail-on", "never")[1]["gaps"] if g["rule"] == "GA201"]


def _project_with_docker_skip(root, step: str):
    return write_files(root, {
        "app/sandbox.py": "import docker\n\n\ndef run(code):\n    return docker.from_env().containers.run('python:3.12', code)\n",
        "tests/test_sandbox.py": ("import shutil\n\nimport pytest\n\nfrom app.sandbox import run\n\n\n"
                                  "@pytest.mark.skipif(shutil.which('docker') is None, reason='docker is not available')\n"
                                  "def test_runs_code():\n    assert run('print(1)')\n"),
        ".github/workflows/ci.yml": ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                                     "      - uses: actions/checkout@v4\n" + step + "      - run: pytest\n"),
    })


def test_a_skip_waiting_for_a_variable_the_test_job_sets_runs_in_ci(project):
    """`skipif(not os.getenv("DATABASE_URL"))` runs in CI when the job that runs pytest sets
    DATABASE_URL; a variable set only for a job that runs no tests (evals, deploys) does not count."""
    root = project("infra")
    workflow = root / ".github" / "workflows" / "ci.yml"
    before = {(g["file"], g["line"]) for g in scan_json(root, "--fail-on", "never")[1]["gaps"] if g["rule"] == "GA201"}
    assert ("tests/test_db.py", 8) in before
    workflow.write_text(workflow.read_text() + "  evals:\n    runs-on: ubuntu-latest\n    env: {DATABASE_URL: x}\n"
                        "    steps:\n      - run: python evals/run.py\n")
    assert ("tests/test_db.py", 8) in {(g["file"], g["line"]) for g in scan_json(root, "--fail-on", "never")[1]["gaps"]}
    workflow.write_text(workflow.read_text().replace("      - run: pip install -e . && pytest",
                                                     "      - run: pip install -e . && pytest\n"
                                                     "        env:\n          DATABASE_URL: ${{ secrets.DATABASE_URL }}"))
    after = {(g["file"], g["line"]) for g in scan_json(root, "--fail-on", "never")[1]["gaps"] if g["rule"] == "GA201"}
    assert after == before - {("tests/test_db.py", 8)}


def test_a_skip_through_a_helper_waits_for_the_helpers_variables(tmp_path):
    """letta's `if not _has_openai_credentials(): pytest.skip(...)`: the variable the skip waits for
    is read in the helper. CI's test job passing it from its secrets runs the test after all."""
    files = {
        "app/llm.py": "import os\n\nimport openai\n\nclient = openai.OpenAI(api_key=os.environ['OPENAI_API_KEY'])\n",
        "tests/test_llm.py": ("import os\n\nimport pytest\n\n\ndef _has_openai_credentials():\n"
                              "    return bool(os.environ.get('OPENAI_API_KEY'))\n\n\n"
                              "def test_completion():\n    if not _has_openai_credentials():\n"
                              "        pytest.skip('OpenAI credentials not configured')\n    assert True\n"),
        ".github/workflows/ci.yml": ("on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                                     "      - uses: actions/checkout@v4\n      - run: pytest\n"),
    }
    root = write_files(tmp_path, files)
    assert [g["line"] for g in scan_json(root, "--fail-on", "never")[1]["gaps"] if g["rule"] == "GA201"] == [12]
    (root / ".github/workflows/ci.yml").write_text(files[".github/workflows/ci.yml"] + (
        "        env:\n          OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}\n"))
    assert not [g for g in scan_json(root, "--fail-on", "never")[1]["gaps"] if g["rule"] == "GA201"]


def test_an_abstract_adapter_runs_for_real_through_its_subclasses(project):
    """`BlobStore` is an ABC tests mock; the S3 subclass is built for real in another test, so the
    adapter is exercised. `QueueBackend`'s only subclass is never built: still a gap."""
    root = project("infra")
    (root / "app" / "blobs.py").write_text(
        "from abc import ABC, abstractmethod\n\nimport boto3\n\n\n"
        "class BlobStore(ABC):\n    @abstractmethod\n    def put(self, key: str, data: bytes) -> None: ...\n\n\n"
        "class S3BlobStore(BlobStore):\n    def __init__(self, bucket: str) -> None:\n"
        "        self.bucket = boto3.resource('s3').Bucket(bucket)\n\n"
        "    def put(self, key: str, data: bytes) -> None:\n        self.bucket.put_object(Key=key, Body=data)\n\n\n"
        "class QueueBackend(ABC):\n    @abstractmethod\n    def push(self, item: bytes) -> None: ...\n\n\n"
        "class SqsQueue(QueueBackend):\n    def push(self, item: bytes) -> None:\n"
        "        boto3.client('sqs').send_message(QueueUrl='q', MessageBody=item.decode())\n")
    (root / "tests" / "test_blobs.py").write_text(
        "from unittest.mock import MagicMock\n\nfrom app.blobs import BlobStore, QueueBackend, S3BlobStore\n\n\n"
        "def test_upload_uses_the_store():\n    store = MagicMock(spec=BlobStore)\n    store.put('k', b'v')\n"
        "    store.put.assert_called_once()\n\n\n"
        "def test_queue():\n    queue = MagicMock(spec=QueueBackend)\n    queue.push(b'x')\n    queue.push.assert_called_once()\n\n\n"
        "def test_s3_store_against_minio(minio_bucket):\n    S3BlobStore(minio_bucket).put('k', b'v')\n")
    _, report = scan_json(root, "--fail-on", "never")
    mocked = {g["message"].split(" ", 1)[0] for g in report["gaps"] if g["rule"] == "GA202"}
    assert "BlobStore" not in mocked and "QueueBackend" in mocked


def test_models_and_views_are_not_adapters(tmp_path):
    """bookwyrm's export job is a Django model in a file that imports boto3, doccano's view a DRF
    APIView that catches botocore's ClientError: the application's own classes, not adapters of a
    service, whatever their file imports. The S3 client class beside them still is one."""
    root = write_files(tmp_path, {
        "app/__init__.py": "",
        "app/jobs.py": ("import boto3\nfrom django.db import models\n\n\n"
                        "class Job(models.Model):\n    status = models.CharField(max_length=10)\n\n\n"
                        "class ExportJob(Job):\n    def start(self):\n        boto3.client('s3').upload_file('a', 'b', 'c')\n\n\n"
                        "class Uploader:\n    def put(self, key):\n        boto3.client('s3').upload_file(key, 'b', key)\n"),
        "tests/__init__.py": "",
        "tests/test_jobs.py": ("from unittest import mock\n\nfrom app.jobs import ExportJob, Job, Uploader\n\n\n"
                               "@mock.patch('app.jobs.ExportJob.start')\ndef test_export(start):\n    start.assert_not_called()\n\n\n"
                               "@mock.patch('app.jobs.Job')\ndef test_job(job):\n    assert job\n\n\n"
                               "@mock.patch('app.jobs.Uploader')\ndef test_upload(uploader):\n    assert uploader\n"),
    })
    _, report = scan_json(root, "--fail-on", "never")
    assert {g["message"].split(" ", 1)[0] for g in report["gaps"] if g["rule"] == "GA202"} == {"Uploader"}


def test_one_gap_per_set_of_silenced_tests(tmp_path):
    """agenta skips on one `_COMPOSIO_ENABLED` flag in module after module, and a `pytest.skip`
    inside a class its decorator already skips silences nothing more: one gap, the broadest
    skip, with the other sites in `also_skipped_at`. A skip on another service stays its own gap."""
    root = write_files(tmp_path, {
        "app/sandbox.py": "import docker\n\n\ndef run(code):\n    return docker.from_env().containers.run('python:3.12', code)\n",
        "app/cache.py": "import redis\n\n\ndef get(key):\n    return redis.Redis(host='cache').get(key)\n",
        "tests/test_sandbox.py": (
            "import shutil\n\nimport pytest\n\nfrom app.cache import get\nfrom app.sandbox import run\n\n\n"
            "@pytest.mark.skipif(shutil.which('docker') is None, reason='docker is not available')\n"
            "class TestSandbox:\n    def test_runs_code(self):\n        assert run('print(1)')\n\n"
            "    def test_runs_twice(self):\n        if shutil.which('docker') is None:\n"
            "            pytest.skip('docker is not available')\n        assert run('print(2)')\n\n\n"
            "@pytest.mark.skipif(shutil.which('redis-server') is None, reason='redis is not available')\n"
            "def test_cache():\n    assert get('k') is None\n"),
    })
    gaps = [g for g in scan_json(root, "--fail-on", "never")[1]["gaps"] if g["rule"] == "GA201"]
    assert sorted((g["line"], tuple(g["evidence"]["infra"])) for g in gaps) == [(9, ("docker",)), (20, ("redis",))]
    docker = next(g for g in gaps if g["line"] == 9)
    assert docker["evidence"]["also_skipped_at"] == ["tests/test_sandbox.py:16"]
    assert docker["message"].endswith("(and 1 more skip site silencing the same tests)")
