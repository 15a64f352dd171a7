"""Evidence: files typed by their content, stored through Django's storage, served only to people
who may see the item, refused with the reason (and nothing stored) when empty, too big or of
another type; links; SHA-256 shown."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import US_CLEARANCES
from tests.support.state import database_state
from tracker import evidence, roles
from tracker.models import Evidence, Marking, Status

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
PDF = b"%PDF-1.7\n% minutes of the committee\n%%EOF"


def ooxml(main_part: str) -> bytes:
    """A minimal Office Open XML package: what Word or Excel writes, at its smallest."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("_rels/.rels", "<Relationships/>")
        package.writestr(main_part, "<document/>")
    return buffer.getvalue()


DOCX = ooxml("word/document.xml")
XLSX = ooxml("xl/workbook.xml")
GOOD = {
    "report.pdf": (PDF, "application/pdf"),
    "photo.png": (PNG, "image/png"),
    "photo.jpg": (JPEG, "image/jpeg"),
    "minutes.docx": (DOCX, evidence.DOCX),
    "budget.xlsx": (XLSX, evidence.XLSX),
}


@pytest.fixture
def owner(user_factory):
    return user_factory("owner", role=roles.OWNERS, clearances=US_CLEARANCES)


@pytest.fixture
def item(item_factory, owner):
    return item_factory("shared", owner=owner, status=Status.IN_PROGRESS, marking=Marking.US_ONLY)


def stored_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(client: Client, key: str, name: str, content: bytes, **extra):
    data = {"evidence-file": SimpleUploadedFile(name, content), "evidence-note": "", **extra}
    return client.post(f"/items/{key}/evidence/", data)


@pytest.mark.parametrize("name", GOOD)
def test_each_accepted_type_is_stored_with_its_hash_and_shown(client, owner, item, name):
    content, content_type = GOOD[name]
    client.force_login(owner)
    assert upload(client, item.key, name, content).status_code == 302
    (found,) = Evidence.objects.all()
    assert (found.name, found.content_type, found.size) == (name, content_type, len(content))
    assert found.sha256 == hashlib.sha256(content).hexdigest()
    assert found.update.kind == "evidence" and found.added_by == owner
    (path,) = stored_files()
    assert path.read_bytes() == content and name not in path.name  # a random name on disk
    page = client.get(f"/items/{item.key}/").content.decode()
    assert found.sha256 in page and name in page


def test_the_type_comes_from_the_content_not_the_name(client, owner, item):
    client.force_login(owner)
    assert upload(client, item.key, "scan.pdf", PNG).status_code == 302
    assert Evidence.objects.get().content_type == "image/png"


def test_a_cleared_user_downloads_the_file_and_an_uncleared_one_gets_404(
    client, owner, item, user_factory
):
    client.force_login(owner)
    upload(client, item.key, "minutes.pdf", PDF)
    found = Evidence.objects.get()
    url = f"/items/{item.key}/evidence/{found.pk}/"
    reader = user_factory("us-reader", clearances=US_CLEARANCES)
    cleared = Client()
    cleared.force_login(reader)
    response = cleared.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert 'attachment; filename="minutes.pdf"' in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    uncleared = Client()
    uncleared.force_login(user_factory("plain-reader"))
    assert uncleared.get(url).status_code == 404
    assert uncleared.get(f"/items/{item.key}/evidence/{found.pk + 99}/").status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in page


def test_a_file_is_served_only_under_its_own_item(client, owner, item, item_factory):
    other = item_factory("other", owner=owner)
    client.force_login(owner)
    upload(client, item.key, "minutes.pdf", PDF)
    found = Evidence.objects.get()
    assert client.get(f"/items/{other.key}/evidence/{found.pk}/").status_code == 404


REFUSALS = [
    ("empty.pdf", b"", "The file is empty."),
    ("big.pdf", PDF + b"x" * 2048, "The file is too big"),
    ("tool.pdf", b"MZ\x90\x00 a program", "is not a PDF, Word (DOCX), Excel (XLSX), PNG or JPEG"),
    ("archive.docx", ooxml("other/part.xml"), "is not a PDF"),
    ("page.png", b"<html><script>alert(1)</script>", "is not a PDF"),
]


@pytest.mark.parametrize(("name", "content", "reason"), REFUSALS)
def test_a_refused_file_says_why_and_nothing_is_stored(
    client, owner, item, settings, name, content, reason
):
    settings.EVIDENCE_MAX_BYTES = 2048
    client.force_login(owner)
    before = database_state()
    response = upload(client, item.key, name, content)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert database_state() == before and stored_files() == []


def test_the_configured_limit_is_the_one_applied_and_said(client, owner, item, settings):
    settings.EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
    client.force_login(owner)
    big = PDF + b"\x00" * (20 * 1024 * 1024)
    response = upload(client, item.key, "big.pdf", big)
    assert response.status_code == 400 and "at most 20.0\xa0MB" in response.content.decode()
    assert upload(client, item.key, "fits.pdf", big[: 20 * 1024 * 1024]).status_code == 302


def test_a_link_needs_http_or_https(client, owner, item):
    client.force_login(owner)
    for bad in ("javascript:alert(1)", "ftp://example.org/x", "not a link"):
        response = client.post(f"/items/{item.key}/evidence/", {"evidence-url": bad})
        assert response.status_code == 400 and "https://" in response.content.decode()
    good = {"evidence-url": "https://example.org/mou", "evidence-title": "Signed MOU"}
    assert client.post(f"/items/{item.key}/evidence/", good).status_code == 302
    assert Evidence.objects.get().name == "Signed MOU"


def test_a_reader_may_not_add_evidence_and_an_uncleared_one_gets_404(client, item, user_factory):
    client.force_login(user_factory("us-reader", clearances=US_CLEARANCES))
    assert upload(client, item.key, "a.pdf", PDF).status_code == 403
    client.force_login(user_factory("plain"))
    assert upload(client, item.key, "a.pdf", PDF).status_code == 404
    assert not Evidence.objects.exists() and stored_files() == []


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    # Any name Django's own uploaded-file class accepts (it refuses "", "/", "." and "..").
    name=st.text(min_size=1, max_size=300).filter(
        lambda n: os.path.basename(n) not in {"", ".", ".."}
    ),
    content=st.one_of(
        st.binary(min_size=0, max_size=3000),
        st.sampled_from([PDF, PNG, JPEG, DOCX, XLSX]).flatmap(
            lambda good: st.binary(max_size=64).map(lambda tail: good + tail)
        ),
        st.binary(max_size=200).map(lambda rest: b"PK\x03\x04" + rest),
    ),
)
def test_any_name_and_content_is_stored_as_its_true_type_or_refused_leaving_nothing(
    owner, item, settings, name, content
):
    settings.EVIDENCE_MAX_BYTES = 2048
    client = Client()
    client.force_login(owner)
    before, files = database_state(), stored_files()
    response = upload(client, item.key, name, content)
    if response.status_code == 302:
        found = Evidence.objects.latest("pk")
        assert found.content_type in evidence.TYPE_NAMES
        assert found.sha256 == hashlib.sha256(content).hexdigest() and 0 < len(content) <= 2048
        assert "/" not in found.name and "\x00" not in found.name and len(found.name) <= 255
        assert len(stored_files()) == len(files) + 1
        found.file.delete(save=False)
        Evidence.objects.filter(pk=found.pk).delete()
        found.update.delete()
    else:
        assert response.status_code == 400, response.status_code
        assert database_state() == before and stored_files() == files


def test_a_row_that_cannot_be_saved_leaves_no_file_behind(owner, item, monkeypatch, now):
    checked = evidence.check_file(SimpleUploadedFile("a.pdf", PDF))

    def refuse(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Evidence, "save", refuse)
    with pytest.raises(RuntimeError):
        evidence.add_evidence(item=item, by=owner, now=now, file=checked)
    assert stored_files() == [] and not item.updates.exists()
