"""Documents: files uploaded into `file` form fields (or to a case), checked, stored by SHA-256, audited.

A file is accepted when its name's extension is on the allow-list AND its first bytes say it is that
kind of file (a `.pdf` must start with `%PDF-`, a `.docx` must be a zip holding `word/`, ...), and it
is no larger than BATON_MAX_DOCUMENT_MB (default 10). The content goes to
`<instance dir>/documents/<sha256>` (written once per content), the row to `documents`, and an audit
event `document_uploaded` to the case's chain under the uploader's name.
"""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from flask import current_app, send_file
from sqlalchemy import exists, select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

import forms
from server.audit import PendingEvent
from server.db import db
from server.errors import InvalidInput, NotFound
from server.models import Document, Instance, Task, User
from server.redis_conn import instance_folder

DEFAULT_MAX_MB = 10
CHUNK = 64 * 1024

# extension -> (content type stored and sent, family the magic bytes must show)
ALLOWED: dict[str, tuple[str, str]] = {
    ".pdf": ("application/pdf", "pdf"),
    ".png": ("image/png", "png"),
    ".jpg": ("image/jpeg", "jpeg"),
    ".jpeg": ("image/jpeg", "jpeg"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ".txt": ("text/plain", "text"),
    ".csv": ("text/csv", "text"),
}
ALLOWED_TEXT = "PDF, PNG, JPEG, Word (.docx), Excel (.xlsx), text (.txt) and CSV files"
FAMILY_NAMES = {"pdf": "a PDF", "png": "a PNG image", "jpeg": "a JPEG image", "docx": "a Word document",
                "xlsx": "an Excel workbook", "text": "a text file", "zip": "a zip archive"}


def max_bytes() -> int:
    """The largest document accepted (BATON_MAX_DOCUMENT_MB, config or environment; default 10)."""
    setting = current_app.config.get("BATON_MAX_DOCUMENT_MB") or os.environ.get("BATON_MAX_DOCUMENT_MB")
    return int(float(setting or DEFAULT_MAX_MB) * 1024 * 1024)


def sniff(head: bytes, content: IO[bytes] | None = None) -> str | None:
    """The family of a file from its content (pdf, png, jpeg, docx, xlsx, zip, text), or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(content) if content is not None else "zip"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the sample is fine
            if exc.start < len(head) - 3:
                return None
        return "text"
    return None


def _office_kind(content: IO[bytes]) -> str:
    try:
        content.seek(0)
        names = zipfile.ZipFile(content).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "zip"
    finally:
        content.seek(0)
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
    return "zip"


def check(file_name: str, content: bytes) -> str:
    """The content type to store for an upload, or ValueError with a message for the uploader."""
    extension = Path(file_name).suffix.lower()
    if extension not in ALLOWED:
        raise ValueError(f"“{file_name}” is not a kind of file Baton accepts; upload {ALLOWED_TEXT}.")
    if not content:
        raise ValueError(f"“{file_name}” is empty.")
    limit = max_bytes()
    if len(content) > limit:
        raise ValueError(f"“{file_name}” is larger than the limit of {limit // (1024 * 1024)} MB.")
    content_type, family = ALLOWED[extension]
    found = sniff(content[:4096], io.BytesIO(content))
    if found != family:
        what = FAMILY_NAMES.get(found or "", "something else")
        raise ValueError(f"“{file_name}” is named like {FAMILY_NAMES[family]} but its content is {what}.")
    return content_type


def folder() -> Path:
    return instance_folder(current_app) / "documents"


def path_of(document: Document) -> Path:
    return folder() / document.sha256


def _read(upload: FileStorage) -> bytes:
    """The upload's bytes, reading at most one byte past the limit."""
    limit = max_bytes()
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = upload.stream.read(CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _write(sha: str, content: bytes) -> None:
    target = folder() / sha
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{sha}.{os.getpid()}.part")
    temporary.write_bytes(content)
    os.replace(temporary, target)


def store(upload: FileStorage, *, instance: Instance, actor: User, task: Task | None = None,
          field_id: str | None = None) -> Document:
    """Check and keep one uploaded file of a case, and audit it (commits; ValueError if refused)."""
    from server import runtime  # runtime imports this module

    file_name = Path((upload.filename or "").replace("\\", "/")).name.strip()[:255]
    if not file_name:
        raise ValueError("Choose a file to upload.")
    content = _read(upload)
    content_type = check(file_name, content)
    sha = hashlib.sha256(content).hexdigest()
    _write(sha, content)

    def attempt() -> int:
        row = db.session.get(Instance, instance.id, populate_existing=True)
        if row is None:
            raise NotFound(f"Instance {instance.id} does not exist.")
        change = runtime.Change(row=row)
        runtime.lock(row)
        document = Document(instance_id=row.id, task_id=task.id if task else None, field_id=field_id,
                            file_name=file_name, content_type=content_type, size=len(content), sha256=sha,
                            uploaded_by=actor.email, uploaded_at=change.now)
        db.session.add(document)
        db.session.flush()
        change.events.append(PendingEvent(
            "document_uploaded", actor=actor, element_id=task.element_id if task else None,
            name=task.name if task else None, task_id=task.id if task else None,
            data={"document_id": document.id, "file_name": file_name, "field": field_id, "size": len(content),
                  "sha256": sha, "content_type": content_type},
        ))
        runtime.save(change, None)
        return document.id

    document_id = runtime.retrying(attempt)
    found = db.session.get(Document, document_id)
    assert found is not None
    return found


def file_fields(task: Task) -> list[forms.Field]:
    """The `file` fields of a task's form (none when the form cannot be built)."""
    try:
        spec = forms.form_from_fields(task.form or [])
    except forms.FormsError:
        return []
    return [f for f in spec.fields if f.type == "file" and not f.readonly]


def take_uploads(task: Task, actor: User, files: Mapping[str, FileStorage], values: dict[str, Any]) -> None:
    """Store the files sent for a task's file fields; each becomes its field's value (a document id).

    A field sent without a new file keeps the document id already in `values` (an earlier upload).
    Refused files raise InvalidInput naming their fields, after the accepted ones were kept.
    """
    errors: dict[str, str] = {}
    for field in file_fields(task):
        upload = files.get(field.id)
        if upload is None or not upload.filename:
            kept = get(values.get(field.id)) if values.get(field.id) not in (None, "") else None
            if kept is None or kept.instance_id != task.instance_id:
                values.pop(field.id, None)  # only this case's documents are offered back to the form
            continue
        try:
            document = store(upload, instance=task.instance, actor=actor, task=task, field_id=field.id)
        except ValueError as exc:
            errors[field.id] = str(exc)
            values.pop(field.id, None)
        else:
            values[field.id] = str(document.id)
    if errors:
        raise InvalidInput(errors, "A file was refused; see the message next to it.")


def check_references(task: Task, data: Mapping[str, Any]) -> None:
    """Every document id a submission names must be a document of the task's case."""
    errors: dict[str, str] = {}
    for field in file_fields(task):
        value = data.get(field.id)
        if value is None:
            continue
        document = db.session.get(Document, value)
        if document is None or document.instance_id != task.instance_id:
            errors[field.id] = "This document does not belong to this case; upload the file again."
    if errors:
        raise InvalidInput(errors)


def missing_documents(task: Task) -> list[dict[str, str]]:
    """The required file fields of a task with no document uploaded yet: [{"id", "label"}]."""
    missing: list[dict[str, str]] = []
    for field in file_fields(task):
        if not field.required:
            continue
        uploaded = db.session.scalar(select(exists().where(Document.task_id == task.id,
                                                            Document.field_id == field.id)))
        if not uploaded:
            missing.append({"id": field.id, "label": field.label})
    return missing


def required_inputs(task: Task, row: Instance) -> list[dict[str, str]]:
    """The progress view's source of missing documents (server.progress.REQUIRED_INPUT_SOURCES)."""
    return [{**item, "kind": "document"} for item in missing_documents(task)]


def register() -> None:
    """Count required documents as required inputs in the progress view (once)."""
    from server import progress  # progress imports the runtime, which imports this module

    if required_inputs not in progress.REQUIRED_INPUT_SOURCES:
        progress.REQUIRED_INPUT_SOURCES.append(required_inputs)


def of_instance(instance_id: int) -> list[Document]:
    """A case's documents, oldest first."""
    query = select(Document).where(Document.instance_id == instance_id)
    return list(db.session.scalars(query.order_by(Document.uploaded_at, Document.id)))


def get(document_id: object) -> Document | None:
    """The document with this id (a template helper: any value, None when there is none)."""
    try:
        return db.session.get(Document, int(str(document_id)))
    except ValueError:
        return None


def send(document: Document) -> Response:
    """The file as a download (never rendered inline: an uploaded file is not trusted content)."""
    path = path_of(document)
    if not path.exists():
        raise NotFound(f"The file of document {document.id} is missing from the server.")
    response = send_file(path, mimetype=document.content_type, as_attachment=True,
                         download_name=document.file_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def to_json(document: Document) -> dict[str, Any]:
    return {"id": document.id, "instance_id": document.instance_id, "task_id": document.task_id,
            "field_id": document.field_id, "file_name": document.file_name,
            "content_type": document.content_type, "size": document.size, "sha256": document.sha256,
            "uploaded_by": document.uploaded_by, "uploaded_at": document.uploaded_at.isoformat()}
