"""Loading checked seed files: upserts by key in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import F

from tracker import changes
from tracker.models import (
    ActionItem,
    Marking,
    Organization,
    Priority,
    Source,
    Theme,
    UpdateKind,
)
from tracker.new_items import create_item

from .checks import (
    SeedFile,
    validate_paths,
)
from .forums import load_forums


@dataclass
class LoadResult:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: str, model: str) -> None:
        counts = getattr(self, bucket)
        counts[model] = counts.get(model, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        if not self.changed:
            total = sum(self.unchanged.values())
            return f"No changes: all {total} records already match the seed files."
        parts = []
        for label, counts in (
            ("created", self.created),
            ("updated", self.updated),
            ("unchanged", self.unchanged),
        ):
            if counts:
                detail = ", ".join(f"{n} {model}" for model, n in sorted(counts.items()))
                parts.append(f"{label}: {detail}")
        return "; ".join(parts)


def _upsert(model, lookup: dict, values: dict, result: LoadResult, label: str, create=None):
    """Create or update one row; save (and so write history) only when something differs.
    `create`, when given, saves a new row (new_items.create_item for items)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj._change_reason = "load_seed"
        (create or model.save)(obj)
        result.count("created", label)
        return obj, True
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj._change_reason = "load_seed"
        obj.save()
        result.count("updated", label)
    else:
        result.count("unchanged", label)
    return obj, False


def _item_values(item: dict, *, source: Source, themes: dict, orgs: dict) -> dict:
    provenance = item["provenance"]
    due = item.get("due")
    if isinstance(due, str):
        due = dt.date.fromisoformat(due)
    return {
        "source": source,
        "theme": themes[item["theme"]],
        "title_en": item["title_en"],
        "title_ko": item.get("title_ko") or "",
        "summary_en": item.get("summary_en") or "",
        "summary_ko": item.get("summary_ko") or "",
        "paragraph": provenance["paragraph"],
        "excerpt": provenance["excerpt"],
        "lead_organization": orgs[item["lead"]],
        "owner_role_en": item.get("owner_role_en") or item.get("owner_role") or "",
        "owner_role_ko": item.get("owner_role_ko") or "",
        "priority": item.get("priority") or Priority.MEDIUM,
        "due_date": due,
        "cadence_days": item.get("cadence_days") or 14,
        "marking": item.get("releasability") or Marking.ALL,
    }


def _load_source(src: dict, result: LoadResult) -> Source:
    source_date = (
        src["date"] if isinstance(src["date"], dt.date) else dt.date.fromisoformat(src["date"])
    )
    values = {
        "title_en": src["title"],
        "title_ko": src.get("title_ko") or "",
        "publisher": src.get("publisher") or "",
        "author": src.get("author") or "",
        "date": source_date,
        "url": src.get("url") or "",
        "citation": src.get("citation") or "",
    }
    source, _ = _upsert(Source, {"key": src["key"]}, values, result, "sources")
    return source


def _load_themes(seed: SeedFile, source: Source, result: LoadResult) -> dict[str, Theme]:
    themes = {}
    for theme in seed.themes:
        values = {
            "title_en": theme["title_en"],
            "title_ko": theme.get("title_ko") or "",
            "order": theme.get("order") or 0,
        }
        lookup = {"source": source, "key": theme["key"]}
        themes[theme["key"]], _ = _upsert(Theme, lookup, values, result, "themes")
    return themes


def _load_organizations(seed: SeedFile, result: LoadResult) -> dict[str, Organization]:
    orgs = {}
    for org in seed.organizations:
        values = {
            "name_en": org["name_en"],
            "name_ko": org.get("name_ko") or "",
            "country": org["country"],
        }
        lookup = {"key": org["key"]}
        orgs[org["key"]], _ = _upsert(Organization, lookup, values, result, "organizations")
    return orgs


def _load_file(seed: SeedFile, result: LoadResult, now: dt.datetime) -> None:
    source = _load_source(seed.source, result)
    themes = _load_themes(seed, source, result)
    orgs = _load_organizations(seed, result)
    for item in seed.items:
        values = _item_values(item, source=source, themes=themes, orgs=orgs)
        _load_item(item, values, [orgs[key] for key in item.get("partners") or []], result, now)
    load_forums(seed.forums, orgs=orgs, upsert=_upsert, result=result)


def _load_item(item: dict, values: dict, partners: list, result: LoadResult, now) -> None:
    """Upsert one item; a reload that changes its fields puts them on its timeline (and
    bumps its version, so a form opened before the reload cannot overwrite them)."""
    existing = ActionItem.objects.filter(key=item["key"]).first()
    before = changes.snapshot(existing) if existing else None
    obj, created = _upsert(
        ActionItem,
        {"key": item["key"]},
        values,
        result,
        "items",
        create=lambda new: create_item(item=new, by=None, now=now),
    )
    if set(obj.partner_organizations.values_list("pk", flat=True)) != {o.pk for o in partners}:
        obj.partner_organizations.set(partners)
        if not created:
            result.count("updated", "partner lists")
    if before is not None and (moved := changes.diff(before, changes.snapshot(obj))):
        changes.record(item=obj, by=None, now=now, kind=UpdateKind.SEED, changes=moved)
        ActionItem.objects.filter(pk=obj.pk).update(version=F("version") + 1)


def default_paths(seed_dir: Path) -> list[Path]:
    return sorted(p for p in seed_dir.iterdir() if p.suffix in (".yaml", ".yml"))


def load_paths(paths: list[Path], *, now: dt.datetime) -> LoadResult:
    """Validate every file, then upsert all of them in one transaction (or write nothing)."""
    files = validate_paths(paths)
    result = LoadResult()
    with transaction.atomic():
        for seed in files:
            _load_file(seed, result, now)
    return result
