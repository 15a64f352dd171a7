"""Whether an item may take a key, answered without confirming an item the user may not see.

Keys are unique across all items and easy to guess (`g2g-export-control`). Django's own check
answers “Action item with this Key already exists” for every key, a hidden item's included, so
the add form and the import were an existence test. Here a key held by any other item gets one
answer, whether the user may see that item or not: it cannot be used, and here is a free one.
A refusal for a hidden item's key is written to the audit log (the `tracker.audit` logger, see
docs/operations.md): a run of them is someone guessing.
"""

from __future__ import annotations

import logging
import secrets

from django.utils.translation import gettext as _

from .models import ActionItem
from .releasability import can_see

audit = logging.getLogger("tracker.audit")

KEY_MAX_LENGTH = ActionItem._meta.get_field("key").max_length
SUFFIX_BYTES = 2  # four hex digits: a free one is found at the first try


def key_refusal(*, key: str, user, item_pk: int | None = None) -> str | None:
    """Why `user` cannot give the key `key` to the item `item_pk` (None: a new item), or None.

    The same words for a key held by an item `user` may see and by one they may not; the second
    is logged to `tracker.audit` with the user and the holder's id (never its title).
    """
    holder = ActionItem.objects.filter(key=key).exclude(pk=item_pk).only("pk", "marking").first()
    if holder is None:
        return None
    if not can_see(user, holder):
        audit.warning(
            "key refused: user %s (id %s) asked for the key %r, held by item %s that they may "
            "not see",
            getattr(user, "username", None),
            getattr(user, "pk", None),
            key,
            holder.pk,
        )
    return _("The key “%(key)s” cannot be used: choose another, for example “%(free)s”.") % {
        "key": key,
        "free": free_key(base=key),
    }


def free_key(*, base: str) -> str:
    """`base` with a random suffix that no item holds.

    Random, not “-2”, “-3”: counting up would stop at the first free number and so show which
    of the numbered keys before it exist, hidden items' included.
    """
    stem = base[: KEY_MAX_LENGTH - 2 * SUFFIX_BYTES - 1]
    while True:
        candidate = f"{stem}-{secrets.token_hex(SUFFIX_BYTES)}"
        if not ActionItem.objects.filter(key=candidate).exists():
            return candidate
