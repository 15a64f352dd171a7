"""Reading a seed file: YAML with the line of every value, refusing what no report needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 2_000_000


class SeedErrors(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


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


def _read_text(path: Path, problems: list[str]) -> str | None:
    """The file as UTF-8 text, or None after recording why it cannot be read."""
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
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.append(f"{name}:{line}: not valid UTF-8 (byte {exc.start}); save it as UTF-8")
        return None


def parse_file(path: Path, problems: list[str]) -> Any:
    """The file's data with line numbers, or None after recording why it cannot be read."""
    name = str(path)
    text = _read_text(path, problems)
    if text is None:
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
