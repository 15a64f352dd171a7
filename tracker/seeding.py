"""Reading, validating and loading seed files (one YAML file per report; docs/seed-format.md).

`load_paths` validates every file completely first and, if any problem is found, raises
`SeedErrors` listing each as `file:line: message` with nothing written. Otherwise it upserts by key
in one transaction. Fields the tracker edits (status, owners, co-owners, updates, follow-up and
snooze times) are never touched by a reload; the seed's own fields are.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.db.models import F

from . import changes
from .models import (
    ActionItem,
    Country,
    Marking,
    Organization,
    Priority,
    Source,
    Theme,
    UpdateKind,
)
from .workflow import next_follow_up

MAX_FILE_BYTES = 2_000_000
MAX_EXCERPT_WORDS = 25
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SeedErrors(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- YAML with line numbers -----------------------------------------------------------------------


class LinedDict(dict):
    line: int
    key_lines: dict[str, int]


class LinedList(list):
    line: int
    item_lines: list[int]


MAX_NODES = 200_000


class TooLarge(Exception):
    """The document expands to more values than any report needs (e.g. an alias bomb)."""


def _build(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    problems: list,
    name: str,
    budget: list[int] | None = None,
) -> Any:
    budget = budget if budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise TooLarge
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = LinedDict()
        out.line, out.key_lines = line, {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node, problems, name, budget)
            key_line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                problems.append(f"{name}:{key_line}: keys must be text, not {key!r}")
                continue
            if key in out:
                problems.append(f"{name}:{key_line}: duplicate key “{key}” in the same mapping")
                continue
            out[key] = _build(loader, value_node, problems, name, budget)
            out.key_lines[key] = key_line
        return out
    if isinstance(node, yaml.SequenceNode):
        out_list = LinedList(_build(loader, child, problems, name, budget) for child in node.value)
        out_list.line = line
        out_list.item_lines = [child.start_mark.line + 1 for child in node.value]
        return out_list
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError):
        # e.g. 2027-02-30 looks like a date but is none: keep the text; the field check explains.
        return node.value


def parse_file(path: Path, problems: list[str]) -> Any:
    """The file's data with line numbers, or None after recording why it cannot be read."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(f"{name}:1: cannot read the file ({exc.strerror})")
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.append(f"{name}:1: file is larger than {MAX_FILE_BYTES} bytes")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(f"{name}:{line}: not valid UTF-8 (byte {exc.start}); save it as UTF-8")
        return None
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            problems.append(f"{name}:1: the file is empty")
            return None
        return _build(loader, node, problems, name)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        problems.append(f"{name}:{line}: character #x{exc.character:04x} is not allowed in YAML")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        problems.append(f"{name}:{line}: broken YAML: {problem}")
        return None
    except RecursionError:
        problems.append(f"{name}:1: the file nests too deeply")
        return None
    except TooLarge:
        problems.append(f"{name}:1: the file expands to more than {MAX_NODES} values")
        return None
    finally:
        if loader is not None:
            loader.dispose()


# --- Validation -----------------------------------------------------------------------------------


@dataclass
class Spec:
    required: dict[str, type | tuple]
    optional: dict[str, type | tuple] = field(default_factory=dict)


TOP = Spec({"source": dict, "themes": list, "organizations": list, "items": list})
SOURCE = Spec(
    {"key": str, "title": str, "date": (dt.date, str)},
    {"title_ko": str, "publisher": str, "author": str, "url": str, "citation": str},
)
THEME = Spec({"key": str, "title_en": str}, {"title_ko": str, "order": int})
ORGANIZATION = Spec({"key": str, "country": str, "name_en": str}, {"name_ko": str})
ITEM = Spec(
    {"key": str, "title_en": str, "theme": str, "lead": str, "provenance": dict},
    {
        "title_ko": str,
        "summary_en": str,
        "summary_ko": str,
        "partners": list,
        "owner_role_en": str,
        "owner_role_ko": str,
        "owner_role": str,  # the older name of owner_role_en
        "priority": str,
        "due": (dt.date, str),
        "cadence_days": int,
        "releasability": str,
    },
)
PROVENANCE = Spec({"paragraph": int, "excerpt": str})
TEXT_LIMITS = {
    "title": 300,
    "title_en": 300,
    "title_ko": 300,
    "name_en": 200,
    "name_ko": 200,
    "summary_en": 4000,
    "summary_ko": 4000,
    "owner_role": 200,
    "owner_role_en": 200,
    "owner_role_ko": 200,
    "publisher": 200,
    "author": 200,
    "url": 200,
    "citation": 1000,
    "excerpt": 1000,
}
TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    dict: "a mapping",
    list: "a list",
    dt.date: "a date",
}


class Checker:
    """Collects every problem of one file; never stops at the first."""

    def __init__(self, name: str, problems: list[str]):
        self.name, self.problems = name, problems

    def add(self, line: int, message: str) -> None:
        self.problems.append(f"{self.name}:{line}: {message}")

    def mapping(self, data: Any, spec: Spec, where: str, line: int) -> dict | None:
        if not isinstance(data, dict):
            self.add(line, f"{where} must be a mapping")
            return None
        for key in data:
            if key not in spec.required and key not in spec.optional:
                known = ", ".join([*spec.required, *spec.optional])
                self.add(data.key_lines[key], f"unknown field “{key}” in {where} (known: {known})")
        for key in spec.required:
            if data.get(key) in (None, ""):
                self.add(data.line, f"{where} is missing “{key}”")
        for key, kind in {**spec.required, **spec.optional}.items():
            value = data.get(key)
            if value is None:
                continue
            kinds = kind if isinstance(kind, tuple) else (kind,)
            if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
                wanted = " or ".join(TYPE_NAMES.get(k, k.__name__) for k in kinds)
                self.add(data.key_lines[key], f"“{key}” in {where} must be {wanted}")
            elif isinstance(value, str):
                self.text(data, key, where)
        return data

    def text(self, data: LinedDict, key: str, where: str) -> None:
        value, line = data[key], data.key_lines[key]
        if CONTROL.search(value):
            self.add(line, f"“{key}” in {where} contains control characters")
        limit = TEXT_LIMITS.get(key)
        if limit and len(value) > limit:
            self.add(line, f"“{key}” in {where} is longer than {limit} characters")

    def slug(self, data: dict, where: str) -> str | None:
        key = data.get("key")
        if isinstance(key, str) and not SLUG.match(key):
            self.add(
                data.key_lines["key"],
                f"key “{key}” in {where} must be lowercase letters, "
                "digits and hyphens (at most 80)",
            )
            return None
        return key if isinstance(key, str) else None

    def date(self, data: dict, key: str, where: str) -> dt.date | None:
        value = data.get(key)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                self.add(
                    data.key_lines[key], f"“{key}” in {where} is not a date (YYYY-MM-DD): {value!r}"
                )
        return None

    def choice(self, data: dict, key: str, allowed: list[str], where: str) -> None:
        value = data.get(key)
        if isinstance(value, str) and value not in allowed:
            self.add(
                data.key_lines[key],
                f"“{key}” in {where} must be one of {', '.join(allowed)}, not “{value}”",
            )


@dataclass
class SeedFile:
    path: Path
    source: dict
    themes: list[dict]
    organizations: list[dict]
    items: list[dict]


def validate_file(path: Path, problems: list[str]) -> SeedFile | None:
    before = len(problems)
    data = parse_file(path, problems)
    if data is None:
        return None
    check = Checker(str(path), problems)
    top = check.mapping(data, TOP, "the file", getattr(data, "line", 1))
    if top is None:
        return None
    source = None
    if "source" in top:
        source = check.mapping(top["source"], SOURCE, "source", top.key_lines["source"])
    source_date = None
    if source is not None:
        check.slug(source, "source")
        source_date = check.date(source, "date", "source")
    themes = _validate_list(check, top, "themes", THEME, _check_theme)
    organizations = _validate_list(check, top, "organizations", ORGANIZATION, _check_org)
    theme_keys = {t["key"] for t in themes if isinstance(t.get("key"), str)}
    org_keys = {o["key"] for o in organizations if isinstance(o.get("key"), str)}

    def check_item(c: Checker, item: dict, where: str) -> None:
        _check_item(
            c, item, where, theme_keys=theme_keys, org_keys=org_keys, source_date=source_date
        )

    items = _validate_list(check, top, "items", ITEM, check_item)
    if len(problems) > before:
        return None
    return SeedFile(path, source, themes, organizations, items)


def _validate_list(check: Checker, top: dict, name: str, spec: Spec, extra) -> list[dict]:
    entries = top.get(name)
    if not isinstance(entries, list):
        return []
    seen: dict[str, int] = {}
    valid = []
    for index, (entry, line) in enumerate(zip(entries, entries.item_lines, strict=True)):
        where = f"{name}[{index + 1}]"
        mapping = check.mapping(entry, spec, where, line)
        if mapping is None:
            continue
        key = check.slug(mapping, where)
        if key in seen:
            check.add(
                mapping.key_lines["key"],
                f"duplicate key “{key}” in {name} (first at line {seen[key]})",
            )
        elif key:
            seen[key] = mapping.key_lines["key"]
        extra(check, mapping, where)
        valid.append(mapping)
    return valid


def _check_theme(check: Checker, theme: dict, where: str) -> None:
    order = theme.get("order")
    if isinstance(order, int) and not 0 <= order <= 1000:
        check.add(theme.key_lines["order"], f"“order” in {where} must be 0 to 1000")


def _check_org(check: Checker, org: dict, where: str) -> None:
    check.choice(org, "country", Country.values, where)


def _check_item(check, item, where, *, theme_keys, org_keys, source_date) -> None:
    where = f"item “{item.get('key')}”" if isinstance(item.get("key"), str) else where
    if isinstance(item.get("theme"), str) and item["theme"] not in theme_keys:
        check.add(item.key_lines["theme"], f"unknown theme “{item['theme']}” in {where}")
    if isinstance(item.get("lead"), str) and item["lead"] not in org_keys:
        check.add(item.key_lines["lead"], f"unknown organization “{item['lead']}” in {where}")
    partners = item.get("partners")
    if isinstance(partners, list):
        for partner, line in zip(partners, partners.item_lines, strict=True):
            if not isinstance(partner, str) or partner not in org_keys:
                check.add(line, f"unknown organization “{partner}” in partners of {where}")
    if "owner_role" in item and "owner_role_en" in item:
        check.add(
            item.key_lines["owner_role"],
            f"“owner_role” in {where} is the older name of “owner_role_en”: give one of them",
        )
    check.choice(item, "priority", Priority.values, where)
    check.choice(item, "releasability", Marking.values, where)
    cadence = item.get("cadence_days")
    if isinstance(cadence, int) and not 1 <= cadence <= 365:
        check.add(item.key_lines["cadence_days"], f"“cadence_days” in {where} must be 1 to 365")
    due = check.date(item, "due", where) if "due" in item else None
    if due and source_date and due < source_date:
        check.add(
            item.key_lines["due"],
            f"due date {due} in {where} is before the source's date {source_date}",
        )
    provenance = item.get("provenance")
    if isinstance(provenance, dict):
        prov = check.mapping(
            provenance, PROVENANCE, f"provenance of {where}", item.key_lines["provenance"]
        )
        excerpt = prov.get("excerpt") if prov else None
        if isinstance(excerpt, str) and len(excerpt.split()) > MAX_EXCERPT_WORDS:
            check.add(
                prov.key_lines["excerpt"],
                f"excerpt of {where} has {len(excerpt.split())} words; at most {MAX_EXCERPT_WORDS}",
            )
        paragraph = prov.get("paragraph") if prov else None
        if isinstance(paragraph, int) and not 1 <= paragraph <= 10000:
            check.add(prov.key_lines["paragraph"], f"paragraph of {where} must be 1 to 10000")


def validate_paths(paths: list[Path]) -> list[SeedFile]:
    """Every file validated completely; SeedErrors lists all problems of all files."""
    problems: list[str] = []
    files = [f for f in (validate_file(p, problems) for p in paths) if f is not None]
    item_origin: dict[str, str] = {}
    for seed in files:
        for item in seed.items:
            origin = f"{seed.path}:{item.key_lines['key']}"
            if item["key"] in item_origin:
                problems.append(
                    f"{origin}: item key “{item['key']}” is also in {item_origin[item['key']]}"
                )
            item_origin.setdefault(item["key"], origin)
    if problems:
        raise SeedErrors(problems)
    return files


# --- Loading --------------------------------------------------------------------------------------


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


def _upsert(model, lookup: dict, values: dict, result: LoadResult, label: str):
    """Create or update one row; save (and so write history) only when something differs."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj._change_reason = "load_seed"
        obj.save()
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


def _load_file(seed: SeedFile, result: LoadResult, now: dt.datetime) -> None:
    src = seed.source
    source_date = (
        src["date"] if isinstance(src["date"], dt.date) else dt.date.fromisoformat(src["date"])
    )
    source, _ = _upsert(
        Source,
        {"key": src["key"]},
        {
            "title_en": src["title"],
            "title_ko": src.get("title_ko") or "",
            "publisher": src.get("publisher") or "",
            "author": src.get("author") or "",
            "date": source_date,
            "url": src.get("url") or "",
            "citation": src.get("citation") or "",
        },
        result,
        "sources",
    )
    themes = {}
    for theme in seed.themes:
        themes[theme["key"]], _ = _upsert(
            Theme,
            {"source": source, "key": theme["key"]},
            {
                "title_en": theme["title_en"],
                "title_ko": theme.get("title_ko") or "",
                "order": theme.get("order") or 0,
            },
            result,
            "themes",
        )
    orgs = {}
    for org in seed.organizations:
        orgs[org["key"]], _ = _upsert(
            Organization,
            {"key": org["key"]},
            {
                "name_en": org["name_en"],
                "name_ko": org.get("name_ko") or "",
                "country": org["country"],
            },
            result,
            "organizations",
        )
    for item in seed.items:
        values = _item_values(item, source=source, themes=themes, orgs=orgs)
        _load_item(item, values, [orgs[key] for key in item.get("partners") or []], result, now)


def _load_item(item: dict, values: dict, partners: list, result: LoadResult, now) -> None:
    """Upsert one item; a reload that changes its fields puts them on its timeline (and
    bumps its version, so a form opened before the reload cannot overwrite them)."""
    existing = ActionItem.objects.filter(key=item["key"]).first()
    before = changes.snapshot(existing) if existing else None
    obj, created = _upsert(ActionItem, {"key": item["key"]}, values, result, "items")
    if created:
        obj.next_follow_up_at = next_follow_up(item=obj, now=now)
        obj.save(update_fields=["next_follow_up_at"])
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
