"""Reading uploaded model files (shared by the deploy page and the API)."""

from __future__ import annotations

import os

from werkzeug.datastructures import FileStorage

from server.config import MAX_MODEL_BYTES
from server.errors import BadRequest


def read_model_files(uploads: list[FileStorage]) -> dict[str, bytes]:
    """{file name: bytes} of the uploaded files; names are reduced to their base name."""
    files: dict[str, bytes] = {}
    for upload in uploads:
        if not upload or not upload.filename:
            continue
        name = os.path.basename(upload.filename.replace("\\", "/"))
        content = upload.read(MAX_MODEL_BYTES + 1)
        if len(content) > MAX_MODEL_BYTES:
            raise BadRequest(f"{name} is larger than {MAX_MODEL_BYTES // (1024 * 1024)} MiB.", field="files")
        if name in files:
            raise BadRequest(f"Two files are named {name}; rename one.", field="files")
        files[name] = content
    return files
