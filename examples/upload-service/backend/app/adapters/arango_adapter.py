"""ArangoDB access. initialize() is awaited during application startup."""

import logging

from arango import ArangoClient

from .. import config

log = logging.getLogger(__name__)


class ArangoAdapter:
    def __init__(self, hosts: str) -> None:
        self._client = ArangoClient(hosts=hosts)
        self.db = None

    def _connect(self, username: str, password: str) -> None:
        # python-arango is synchronous: this round-trip blocks until ArangoDB answers.
        sys_db = self._client.db("_system", username=username, password=password, verify=True)
        if not sys_db.has_database("uploads"):
            sys_db.create_database("uploads")
        self.db = self._client.db("uploads", username=username, password=password)

    async def initialize(self) -> None:
        log.info("connecting to ArangoDB at %s", config.DATABASE_HOST)
        self._connect("root", config.DATABASE_PASSWORD)

    async def save_metadata(self, document: dict) -> dict:
        return self.db.collection("files").insert(document)
