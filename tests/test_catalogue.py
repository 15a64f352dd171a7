"""The Korean catalogue: every message translated, none fuzzy, and the committed .mo up to date.

A message left untranslated (or a guess msgmerge marked fuzzy, which Django does not use) shows
English to a Korean reader; a stale .mo shows the previous wording. Read in plain Python, so the
check needs no gettext tools.
"""

from __future__ import annotations

import ast
import contextlib
import gettext
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "tracker" / "locale" / "ko" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    context: str | None = None
    msgid: str = ""
    plural: str | None = None
    msgstr: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{CATALOGUE.name}:{self.line}: {self.msgid[:60]!r}"


def _text(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line) for line in lines)


def read_catalogue(path: Path = CATALOGUE) -> list[Entry]:
    """The catalogue's entries (the header and obsolete “#~” entries left out)."""
    entries = []
    for number, block in _blocks(path.read_text(encoding="utf-8")):
        lines = block.splitlines()
        if all(line.startswith("#~") or not line.strip() for line in lines):
            continue
        entry = Entry(line=number)
        key, parts = None, {}
        for line in lines:
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                parts[key].append(line)
            else:
                key, rest = line.split(" ", 1)
                parts[key] = [rest]
        entry.context = _text(parts["msgctxt"]) if "msgctxt" in parts else None
        entry.msgid = _text(parts["msgid"])
        entry.plural = _text(parts["msgid_plural"]) if "msgid_plural" in parts else None
        strs = sorted(k for k in parts if k.startswith("msgstr"))
        entry.msgstr = [_text(parts[k]) for k in strs]
        if entry.msgid:
            entries.append(entry)
    return entries


def _blocks(text: str):
    line = 1
    for block in text.split("\n\n"):
        stripped = block.lstrip("\n")
        yield line + (len(block) - len(stripped)), stripped
        line += block.count("\n") + 2


def test_every_korean_message_is_translated_and_none_is_fuzzy():
    entries = read_catalogue()
    assert len(entries) > 400
    untranslated = [e.name for e in entries if not all(s.strip() for s in e.msgstr)]
    fuzzy = [e.name for e in entries if "fuzzy" in e.flags]
    assert untranslated == [], "untranslated Korean messages"
    assert fuzzy == [], "fuzzy Korean messages (msgmerge's guesses): translate them"


def test_korean_translations_keep_their_placeholders():
    def placeholders(text: str) -> list[str]:
        return sorted(re.findall(r"%\(\w+\)[sd]|%[sd]|\{\w*\}", text))

    wrong = [
        e.name
        for e in read_catalogue()
        if any(placeholders(s) != placeholders(e.plural or e.msgid) for s in e.msgstr)
    ]
    assert wrong == []


def test_the_committed_mo_file_matches_the_catalogue():
    """`compilemessages` was run after the last change of the .po."""
    with COMPILED.open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    stale = []
    for entry in read_catalogue():
        msgid = entry.msgid if entry.context is None else f"{entry.context}\x04{entry.msgid}"
        if entry.plural is None:
            if compiled.gettext(msgid) != entry.msgstr[0]:
                stale.append(entry.name)
        elif compiled.ngettext(msgid, entry.plural, 1) != entry.msgstr[0]:
            stale.append(entry.name)
    assert stale == [], "run `python manage.py compilemessages` (from tracker/)"


def test_the_catalogue_holds_every_message_the_code_and_templates_use(tmp_path):
    """`makemessages` run now would add nothing and drop nothing: a message added to the code
    without a catalogue entry would show English to Korean readers."""
    if shutil.which("xgettext") is None:
        reason = "xgettext (GNU gettext) is not installed"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    # makemessages writes to the locale folder it finds beside the sources: give it a copy.
    shutil.copytree(ROOT / "tracker", tmp_path / "tracker", ignore=shutil.ignore_patterns("*.mo"))
    with contextlib.chdir(tmp_path):
        call_command("makemessages", locale=["ko"], no_obsolete=True, verbosity=0)
    fresh = tmp_path / "tracker" / "locale" / "ko" / "LC_MESSAGES" / "django.po"
    wanted = {(e.context, e.msgid) for e in read_catalogue(fresh)}
    committed = {(e.context, e.msgid) for e in read_catalogue()}
    assert sorted(wanted - committed, key=str) == [], "run makemessages and translate these"
    assert sorted(committed - wanted, key=str) == [], "no longer used: run makemessages"
