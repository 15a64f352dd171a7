"""Reminders: who hears of which items, when, and claiming the digests that tell them.

    calendar.py   the recipient's time zone, language, morning window and working days
    policy.py     who hears of what and why: pure functions of the items, the recipient and `now`
    holdings.py   what the policy reads of the database (items, roles, when last reminded)
    sweep.py      plan, claim and requeue: one Reminder row per recipient and local day
    manual.py     what coordinators do by hand: send now, retry failed

These return ids; only tasks, admin actions and commands enqueue (tracker.tasks.enqueue_sends),
once committed. Sending is tracker/delivery.py, the email itself tracker/emails.py.
"""
