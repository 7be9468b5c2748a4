from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Credentials(BaseModel):
    email: str
    password: str


@router.post("/login")
async def login(credentials: Credentials) -> dict:
    if not credentials.password:
        raise HTTPException(status_code=401, detail="invalid credentials")
    return {"token": "session-token"}
