"""Webhooks: events recorded where items change, delivered to coordinators' endpoints.

    events.py     record_item_event: called by workflow.py and new_items.py in the
                  transaction that makes the change; one event row and one delivery row per
                  subscribed endpoint whose audience may receive the item; returns the ids and
                  announces them once the transaction commits (tasks.py hands them to a worker)
    payloads.py   the JSON body of each event, fixed when it is recorded
    endpoints.py  registering endpoints: who may, which URLs, which audience; secrets
    sending.py    deliver_batch: take the rows, check releasability again, sign, POST, mark
    sweep.py      beat's tick: overdue events, due retries, stuck claims, endpoints to disable
    notices.py    the email telling an endpoint's owner it was disabled

Delivery is at least once: a row is claimed in the database before it is sent, marked sent
after the receiver's 2xx, and a worker that dies in between leaves it for the sweep. Every copy
of an event carries the same `webhook-id`, so a receiver can drop duplicates.
"""

from .events import deliveries_recorded, record_item_event

__all__ = ["deliveries_recorded", "record_item_event"]
