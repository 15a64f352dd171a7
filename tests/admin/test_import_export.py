"""CSV import (all rows or none, each bad row named) and export (releasability, formula cells)."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tests.support.admin import CHANGELIST, text_of
from tracker import roles, workflow
from tracker.admin.imports import ActionItemResource
from tracker.models import ActionItem, Marking, Status


def export(client, query: str = ""):
    """The list's Export button: every item the list shows, as CSV."""
    return client.get(f"{CHANGELIST}export/{query}")


def export_selected(client, items):
    """The “Export selected action items” action."""
    data = {"action": "export_admin_action", "_selected_action": [i.pk for i in items]}
    return client.post(CHANGELIST, data)


def exported_rows(response) -> list[dict]:
    """The export's rows, by their (English) headers."""
    assert response.status_code == 200, text_of(response)[:2000]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def upload(client, text: str):
    file = SimpleUploadedFile("items.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(
        f"{CHANGELIST}import/", {"format": "0", "resource": "0", "import_file": file}
    )


def confirm(client, preview):
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, "") for name in form.fields}
    return client.post(f"{CHANGELIST}process_import/", data, follow=True)


def csv_text(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def new_row(key: str, **changes) -> dict:
    row = {
        "key": key,
        "title_en": f"Imported {key}",
        "title_ko": "",
        "summary_en": "",
        "summary_ko": "",
        "source": "test-report",
        "theme": "g2g",
        "paragraph": "3",
        "excerpt": "excerpt",
        "lead_organization": "dod",
        "partner_organizations": "",
        "owner_role_en": "",
        "owner": "",
        "co_owners": "",
        "priority": "medium",
        "due_date": "2027-03-01",
        "cadence_days": "14",
        "marking": "all",
    }
    row.update(changes)
    return row


def test_export_holds_only_the_items_the_user_may_see(as_coordinator, item_factory):
    item_factory("shared-item")
    item_factory("rok-item", marking=Marking.KR_ONLY, title_en="ROK eyes only")
    rows = exported_rows(export(as_coordinator))
    assert [r["Key"] for r in rows] == ["shared-item"]
    assert "ROK eyes only" not in str(rows)


def test_export_of_selected_items_leaves_out_ids_the_user_may_not_see(as_coordinator, item_factory):
    shared = item_factory("shared-item")
    hidden = item_factory("rok-item", marking=Marking.KR_ONLY, title_en="ROK eyes only")
    response = export_selected(as_coordinator, [shared, hidden])
    assert "ROK eyes only" not in text_of(response)
    assert [r["Key"] for r in exported_rows(response)] == ["shared-item"]


def test_the_resource_refuses_hidden_items_even_when_handed_them(item_factory, coordinator):
    item_factory("shared-item")
    item_factory("rok-item", marking=Marking.KR_ONLY)
    everything = ActionItem.objects.all()
    assert [r["key"] for r in ActionItemResource(user=coordinator).export(everything).dict] == [
        "shared-item"
    ]
    assert ActionItemResource().export(everything).dict == []  # no user: nothing


def test_the_command_line_export_with_our_resource_exports_no_item(item_factory, capsysbinary):
    item_factory("shared-item", title_en="Shared with all")
    call_command("export", "CSV", "tracker.admin.imports.ActionItemResource")
    output = capsysbinary.readouterr().out.decode()
    assert output.startswith("key,") and "Shared with all" not in output


def test_cells_a_spreadsheet_would_run_are_neutralised(as_coordinator, item_factory):
    item_factory("formula", title_en="=HYPERLINK(1)", summary_en="+1", title_ko="@SUM(A1)")
    item_factory("dash", summary_en="-2 items")
    rows = {r["Key"]: r for r in exported_rows(export(as_coordinator))}
    assert rows["formula"]["Title (English)"] == "'=HYPERLINK(1)"
    assert rows["formula"]["Summary (English)"] == "'+1"
    assert rows["formula"]["Title (Korean)"] == "'@SUM(A1)"
    assert rows["dash"]["Summary (English)"] == "'-2 items"


def test_an_exported_file_imports_back_unchanged(as_coordinator, item_factory):
    item_factory("formula", title_en="=HYPERLINK(1)")
    item_factory("plain")
    exported = export(as_coordinator)
    preview = upload(as_coordinator, exported.content.decode("utf-8-sig"))
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    confirm(as_coordinator, preview)
    item = ActionItem.objects.get(key="formula")
    assert item.title_en == "=HYPERLINK(1)" and item.version == 1


def test_a_valid_file_creates_items_after_the_preview(as_coordinator, source, theme, us_org):
    preview = upload(as_coordinator, csv_text([new_row("imp-1"), new_row("imp-2")]))
    assert preview.context["confirm_form"] is not None
    assert not ActionItem.objects.filter(key__startswith="imp-").exists()  # a dry run
    done = confirm(as_coordinator, preview)
    assert "Import finished: 2 new" in text_of(done)
    item = ActionItem.objects.get(key="imp-1")
    assert item.source_date == source.date and item.status == Status.NOT_STARTED


def test_a_file_with_bad_rows_names_each_one_and_writes_nothing(
    as_coordinator, source, theme, us_org
):
    rows = [
        new_row("good-1"),
        new_row("bad-date", due_date="2019-01-01"),
        new_row("good-2"),
        new_row("bad-theme", theme="nonexistent"),
        new_row("bad-marking", marking="kr-only"),
    ]
    preview = upload(as_coordinator, csv_text(rows))
    page = text_of(preview)
    result = preview.context["result"]
    assert [row.number for row in result.invalid_rows] == [2, 4, 5]
    assert "Row 2 (line 3 of the file)" in page and "Row 5 (line 6 of the file)" in page
    assert "The due date cannot be before the report" in page
    assert "No theme with key or name “nonexistent”." in page
    assert "You are not cleared for items marked “ROK only”." in page
    assert "confirm_form" not in preview.context or preview.context["confirm_form"] is None
    assert not ActionItem.objects.exists()


def test_an_import_updates_through_the_workflow_and_refuses_a_stale_row(
    as_coordinator, item_factory, coordinator
):
    item = item_factory("kept", summary_en="before")
    exported = exported_rows(export(as_coordinator))
    exported[0]["Summary (English)"] = "after"
    preview = upload(as_coordinator, csv_text(exported))
    confirm(as_coordinator, preview)
    item.refresh_from_db()
    assert item.summary_en == "after" and item.version == 2

    exported[0]["Summary (English)"] = "stale"  # still carries version 1
    page = text_of(upload(as_coordinator, csv_text(exported)))
    assert "coord changed this item" in page
    item.refresh_from_db()
    assert item.summary_en == "after"


def test_an_import_cannot_change_the_owner_or_the_status(
    as_coordinator, item_factory, user_factory, coordinator, now
):
    item = item_factory("kept")
    workflow.change_status(item=item, to=Status.IN_PROGRESS, by=coordinator, now=now)
    someone = user_factory("someone", role=roles.OWNERS)
    rows = exported_rows(export(as_coordinator))
    rows[0]["Status"] = "Implemented"
    rows[0]["Owner"] = someone.username
    page = text_of(upload(as_coordinator, csv_text(rows)))
    assert "Change the owner with the “Reassign owner” action." in page
    rows[0]["Owner"] = ""
    preview = upload(as_coordinator, csv_text(rows))
    confirm(as_coordinator, preview)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS  # the status column is export-only


def test_only_coordinators_may_import(signed_in, user_factory):
    owner = signed_in(user_factory("own", role=roles.OWNERS))
    assert owner.get(f"{CHANGELIST}import/").status_code == 403
