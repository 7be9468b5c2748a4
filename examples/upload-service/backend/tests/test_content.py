import pytest

from app.services.file_parser import FileParserService

from .conftest import MockGCSAdapter


@pytest.mark.asyncio
async def test_parse_text_file(tmp_path):
    service = FileParserService(str(tmp_path))
    assert await service.parse_file("notes.txt", b"hello") == "hello"


@pytest.mark.asyncio
async def test_upload_goes_to_storage():
    storage = MockGCSAdapter()
    url = await storage.upload("a.txt", b"data")
    assert url.endswith("/a.txt")


def test_registry_lists_services(consul):
    assert consul
