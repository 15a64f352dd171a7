"""Checking a seed file completely before anything is written: every problem as
`file:line: message`."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.models import (
    Country,
    Marking,
    Priority,
)

from .reading import (
    LinedDict,
    SeedErrors,
    parse_file,
)

MAX_EXCERPT_WORDS = 25


SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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


def _check_partners(check, partners, where: str, *, org_keys) -> None:
    if isinstance(partners, list):
        for partner, line in zip(partners, partners.item_lines, strict=True):
            if not isinstance(partner, str) or partner not in org_keys:
                check.add(line, f"unknown organization “{partner}” in partners of {where}")


def _check_item(check, item, where, *, theme_keys, org_keys, source_date) -> None:
    where = f"item “{item.get('key')}”" if isinstance(item.get("key"), str) else where
    if isinstance(item.get("theme"), str) and item["theme"] not in theme_keys:
        check.add(item.key_lines["theme"], f"unknown theme “{item['theme']}” in {where}")
    if isinstance(item.get("lead"), str) and item["lead"] not in org_keys:
        check.add(item.key_lines["lead"], f"unknown organization “{item['lead']}” in {where}")
    _check_partners(check, item.get("partners"), where, org_keys=org_keys)
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
