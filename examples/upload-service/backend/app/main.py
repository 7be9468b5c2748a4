from contextlib import asynccontextmanager

from fastapi import FastAPI, WebSocket

from . import config
from .adapters import ArangoAdapter, GCSAdapter
from .registry import register_service
from .routers import auth, content
from .services.file_parser import FileParserService


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.db = ArangoAdapter(hosts=f"http://{config.DATABASE_HOST}:8529")
    await app.state.db.initialize()
    app.state.storage = GCSAdapter()
    app.state.parser = FileParserService("/tmp/uploads")
    register_service(port=8000)
    yield


app = FastAPI(lifespan=lifespan)
app.include_router(auth.router)
app.include_router(content.router)


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@app.websocket("/ws/guide-agent")
async def guide_agent(websocket: WebSocket) -> None:
    await websocket.accept()
    async for message in websocket.iter_text():
        await websocket.send_text(f"guide: {message}")
