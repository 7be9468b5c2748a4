"""Tells the notification service about new uploads."""

import asyncio

import httpx

from .. import config


def _post_event(event: dict) -> None:
    httpx.post(config.NOTIFY_URL, json=event)


async def notify_uploaded(file_id: str) -> None:
    # offloaded correctly; the missing timeout is a separate gap
    await asyncio.to_thread(_post_event, {"type": "uploaded", "file_id": file_id})
