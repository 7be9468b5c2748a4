import uuid

from fastapi import APIRouter, Request, UploadFile

from ..services.notifier import notify_uploaded

router = APIRouter(prefix="/api/content", tags=["content"])


@router.post("/upload")
async def upload(request: Request, file: UploadFile) -> dict:
    data = await file.read()
    file_id = uuid.uuid4().hex
    text = await request.app.state.parser.parse_file(file.filename, data)
    url = await request.app.state.storage.upload(file_id, data)
    await request.app.state.db.save_metadata({"_key": file_id, "url": url, "chars": len(text)})
    await notify_uploaded(file_id)
    return {"file_id": file_id}


@router.get("/{file_id}")
async def get_file(file_id: str) -> dict:
    return {"file_id": file_id}


@router.get("/{file_id}")
async def get_file_metadata(file_id: str) -> dict:
    return {"file_id": file_id, "metadata": {}}
