"""Google Cloud Storage uploads."""

import asyncio

from google.cloud import storage

from .. import config


class GCSAdapter:
    def __init__(self) -> None:
        self._client = storage.Client(project=config.GCS_PROJECT_ID)
        self._bucket = self._client.bucket(config.GCS_BUCKET_NAME)

    async def upload(self, name: str, data: bytes) -> str:
        blob = self._bucket.blob(name)
        blob.upload_from_string(data)
        return f"gs://{config.GCS_BUCKET_NAME}/{name}"

    async def delete(self, name: str) -> None:
        # offloaded: runs in a worker thread, not on the event loop
        await asyncio.to_thread(self._bucket.blob(name).delete)
