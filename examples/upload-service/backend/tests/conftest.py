import socket

import pytest
from fastapi.testclient import TestClient

from app.main import app


def _consul_healthy() -> bool:
    try:
        with socket.create_connection(("localhost", 8500), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def consul():
    if not _consul_healthy():
        pytest.skip("Consul not available - skipping test")
    return "localhost:8500"


@pytest.fixture
def client():
    # lifespan never runs: TestClient is not used as a context manager
    return TestClient(app)


class MockGCSAdapter:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    async def upload(self, name: str, data: bytes) -> str:
        self.blobs[name] = data
        return f"gs://test-bucket/{name}"
