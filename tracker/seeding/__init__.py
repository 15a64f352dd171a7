"""Reading, validating and loading seed files (one YAML file per report; docs/seed-format.md).

`load_paths` validates every file completely first and, if any problem is found, raises
`SeedErrors` listing each as `file:line: message` with nothing written. Otherwise it upserts by key
in one transaction. Fields the tracker edits (status, owners, co-owners, updates, follow-up and
snooze times) are never touched by a reload; the seed's own fields are.

    reading.py   YAML with line numbers
    checks.py    every problem found before anything is written
    loading.py   the upserts, in one transaction
"""

from .checks import SeedFile, validate_paths
from .loading import LoadResult, default_paths, load_paths
from .reading import MAX_FILE_BYTES, SeedErrors

__all__ = [
    "MAX_FILE_BYTES",
    "LoadResult",
    "SeedErrors",
    "SeedFile",
    "default_paths",
    "load_paths",
    "validate_paths",
]
