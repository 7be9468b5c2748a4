"""Turns uploaded documents into text."""

import subprocess
import tempfile
from pathlib import Path


def _convert_to_text(path: Path) -> str:
    result = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
    return result.stdout


def _extract(path: Path) -> str:
    if path.suffix == ".pdf":
        return _convert_to_text(path)
    return path.read_text(encoding="utf-8", errors="replace")


class FileParserService:
    def __init__(self, workdir: str) -> None:
        self.workdir = Path(workdir)

    async def parse_file(self, name: str, data: bytes) -> str:
        target = self.workdir / name
        with open(target, "wb") as handle:
            handle.write(data)
        return _extract(target)

    def scratch_dir(self) -> str:
        return tempfile.mkdtemp(dir=self.workdir)
