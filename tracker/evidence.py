"""Evidence: files (PDF, DOCX, XLSX, PNG, JPEG) and links attached to an item through a timeline
entry, so a reviewer can cite exactly what was shown (SHA-256 of each file).

A file's type is read from its content, never its name: PDF, PNG and JPEG by the signatures their
specifications fix (`%PDF-`, the 8-byte PNG signature, JPEG's SOI marker FF D8 FF); DOCX and XLSX
are ZIP packages, so Python's zipfile reads the package's directory and looks for the Office Open
XML parts that make each one ([Content_Types].xml with word/document.xml or xl/workbook.xml). A
file that is empty, larger than EVIDENCE_MAX_BYTES or of another type is refused with the reason
before anything is written; the file goes to Django's default storage (files under var/media,
or any storage backend) only once it passed, and is removed again if its row cannot be saved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .models import ActionItem, Evidence, EvidenceKind, StatusUpdate, UpdateKind
from .releasability import visible_filter
from .workflow import WorkflowError, clean_note, may_update

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
OOXML_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX))
TYPE_NAMES = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    DOCX: "Word (DOCX)",
    XLSX: "Excel (XLSX)",
}
NAME_MAX_LENGTH = 255
URL_MAX_LENGTH = 2000
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


class EvidenceRefused(WorkflowError):
    """A file or link the rules refuse; the message says why, in the user's language."""


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed: what it is, how big, its hash, the name to show."""

    upload: UploadedFile
    content_type: str
    size: int
    sha256: str
    name: str


def _ooxml_type(upload: UploadedFile) -> str | None:
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, KeyError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((kind for part, kind in OOXML_PARTS if part in names), None)


def detect_type(upload: UploadedFile) -> str | None:
    """The file's type as its content says, among the accepted ones; None for any other."""
    upload.seek(0)
    head = upload.read(16)
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_type(upload)
    return None


def shown_name(name: str | None) -> str:
    """The name people gave the file, without a path or control characters, cut to fit."""
    base = re.split(r"[/\\]", name or "")[-1]
    cleaned = _UNSAFE_NAME.sub("", base).strip() or "file"
    return cleaned[-NAME_MAX_LENGTH:]


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def check_file(upload: UploadedFile) -> CheckedFile:
    """The upload, checked: EvidenceRefused (saying why) for an empty or too big file, or one
    whose content is none of the accepted types. Writes nothing."""
    size = upload.size or 0
    if size == 0:
        raise EvidenceRefused(_("The file is empty."))
    limit = settings.EVIDENCE_MAX_BYTES
    if size > limit:
        raise EvidenceRefused(
            _("The file is too big (%(size)s); at most %(max)s.")
            % {"size": filesizeformat(size), "max": filesizeformat(limit)}
        )
    content_type = detect_type(upload)
    if content_type is None:
        raise EvidenceRefused(
            _(
                "This file is not a PDF, Word (DOCX), Excel (XLSX), PNG or JPEG file: its "
                "content says so, whatever its name."
            )
        )
    return CheckedFile(upload, content_type, size, _sha256(upload), shown_name(upload.name))


def check_link(url: str, title: str = "") -> tuple[str, str]:
    """(address, name) of a link, or EvidenceRefused: http or https only."""
    url = (url or "").strip()
    try:
        if len(url) > URL_MAX_LENGTH:
            raise ValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise EvidenceRefused(_("Enter a whole web address starting with https://.")) from error
    return url, shown_name(title)[:200] if title.strip() else url[:NAME_MAX_LENGTH]


def attach(
    *, item: ActionItem, update: StatusUpdate, by, now: dt.datetime, file=None, link=None
) -> Evidence:
    """Attach a checked file (CheckedFile) or link ((url, name)) to `update` of `item`. The
    file is stored first and removed again if its row is not saved."""
    if link is not None:
        url, name = link
        return Evidence.objects.create(
            item=item, update=update, kind=EvidenceKind.LINK, url=url, name=name,
            added_by=by, added_at=now,
        )  # fmt: skip
    evidence = Evidence(
        item=item, update=update, kind=EvidenceKind.FILE, name=file.name, size=file.size,
        content_type=file.content_type, sha256=file.sha256, added_by=by, added_at=now,
    )  # fmt: skip
    file.upload.seek(0)
    evidence.file.save(file.name, file.upload, save=False)
    try:
        evidence.save()
    except Exception:
        evidence.file.delete(save=False)
        raise
    return evidence


def add_evidence(
    *, item: ActionItem, by, now: dt.datetime, note: str = "", file=None, link=None
) -> StatusUpdate:
    """A timeline entry "evidence added" with one checked file or link and an optional note.
    Refused, with nothing written, for someone who may not update the item."""
    if not may_update(by, item):
        raise WorkflowError(_("You may not add evidence to this item."))
    if (file is None) == (link is None):
        raise EvidenceRefused(_("Choose a file or enter a link."))
    note = clean_note(note, required=False)
    with transaction.atomic():
        update = StatusUpdate.objects.create(
            item=item, author=by, created_at=now, kind=UpdateKind.EVIDENCE,
            from_status=item.status, to_status=item.status, note=note,
        )  # fmt: skip
        attach(item=item, update=update, by=by, now=now, file=file, link=link)
    return update


def visible_file(*, user, key: str, evidence_id: int) -> Evidence | None:
    """The stored file `evidence_id` of item `key` if `user` may see that item; None otherwise
    (missing, a link, or hidden: the caller answers 404 to all three)."""
    return (
        Evidence.objects.filter(pk=evidence_id, item__key=key, kind=EvidenceKind.FILE)
        .filter(visible_filter(user, prefix="item__"))
        .first()
    )


def type_name(content_type: str) -> str:
    return TYPE_NAMES.get(content_type, content_type)
