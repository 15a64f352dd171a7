"""The sweep's floor: the reminder policy as one hand-written SELECT, and one bulk INSERT.

The SELECT reads the same rules as tracker/reminders/policy.py (morning window, working days,
owners and co-owners, escalation copies for the lead organization's coordinator, releasability,
snoozes, follow-up / due soon / overdue marks repeated every cadence, one digest per recipient and
local day) and returns each recipient's digest, grouped. The INSERT writes the reminder rows and
their items in one statement. The benchmark checks that the floor claims exactly what the sweep
claims, so this file cannot drift from the policy unnoticed.
"""

from __future__ import annotations

SELECT_DUE = """
WITH params AS (
    SELECT %(now)s::timestamptz AS now
),
recipient AS (
    SELECT u.id, u.is_superuser,
           COALESCE(p.time_zone, %(site_zone)s) AS zone,
           COALESCE(p.country, 'US') AS country,
           COALESCE(p.may_see_us_only, false) AS us_only,
           COALESCE(p.may_see_kr_only, false) AS kr_only,
           COALESCE(p.may_see_us_kr, false) AS us_kr,
           (params.now AT TIME ZONE COALESCE(p.time_zone, %(site_zone)s)) AS local_now
    FROM auth_user u
    LEFT JOIN tracker_profile p ON p.user_id = u.id
    CROSS JOIN params
    WHERE u.is_active
),
in_window AS (
    SELECT r.*, r.local_now::date AS today
    FROM recipient r
    WHERE EXTRACT(hour FROM r.local_now) * 60 + EXTRACT(minute FROM r.local_now)
              BETWEEN %(window_start)s AND %(window_end)s - 1
      AND (NOT %(working_days_only)s OR (
            EXTRACT(isodow FROM r.local_now) < 6
            AND NOT (r.country = 'US' AND r.local_now::date = ANY(%(us_holidays)s::date[]))
            AND NOT (r.country = 'KR' AND r.local_now::date = ANY(%(kr_holidays)s::date[]))))
      AND NOT EXISTS (
            SELECT 1 FROM tracker_reminder t
            WHERE t.recipient_id = r.id AND t.local_date = r.local_now::date)
),
item AS (
    SELECT i.* FROM tracker_actionitem i CROSS JOIN params
    WHERE i.status IN ('not_started', 'in_progress', 'blocked')
      AND (i.snoozed_until IS NULL OR i.snoozed_until <= params.now)
      -- Nothing further than two days' follow-up or eight days' due date can be due today,
      -- in any time zone.
      AND (i.next_follow_up_at IS NULL OR i.next_follow_up_at <= params.now + interval '2 days'
           OR i.due_date <= (params.now + interval '8 days')::date)
),
pair AS (
    SELECT i.id AS item_id, i.owner_id AS user_id, 'owner' AS role FROM item i
    WHERE i.owner_id IS NOT NULL
    UNION
    SELECT c.actionitem_id, c.user_id, 'owner' FROM tracker_actionitem_co_owners c
    JOIN item i ON i.id = c.actionitem_id
    UNION
    SELECT i.id, o.coordinator_id, 'coordinator' FROM item i
    JOIN tracker_organization o ON o.id = i.lead_organization_id
    WHERE o.coordinator_id IS NOT NULL
      AND o.coordinator_id IS DISTINCT FROM i.owner_id
      AND NOT EXISTS (SELECT 1 FROM tracker_actionitem_co_owners c
                      WHERE c.actionitem_id = i.id AND c.user_id = o.coordinator_id)
),
facts AS (
    SELECT w.id AS recipient_id, w.today, w.zone, i.id AS item_id, i.key, i.due_date,
           i.cadence_days AS cadence, pr.role,
           ((COALESCE(i.next_follow_up_at,
                      COALESCE(i.last_update_at, i.created_at) + i.cadence_days * interval '1 day')
             AT TIME ZONE w.zone)::date) AS follow_up_day,
           last.day AS last
    FROM pair pr
    JOIN in_window w ON w.id = pr.user_id
    JOIN item i ON i.id = pr.item_id
    LEFT JOIN LATERAL (
        SELECT max(t.local_date) AS day
        FROM tracker_reminderitem ri JOIN tracker_reminder t ON t.id = ri.reminder_id
        WHERE ri.item_id = i.id AND t.recipient_id = w.id
          AND t.state NOT IN ('failed', 'skipped')
    ) last ON true
    WHERE w.is_superuser OR i.marking = 'all'
       OR (i.marking = 'us-only' AND w.us_only) OR (i.marking = 'kr-only' AND w.kr_only)
       OR (i.marking = 'us-kr' AND w.us_kr)
),
marks AS (
    SELECT f.*,
           (f.today >= f.follow_up_day AND (f.last IS NULL OR f.last < f.follow_up_day
                OR f.last <= f.today - f.cadence)) AS follow_up,
           CASE WHEN f.due_date - f.today <= 1 THEN 1 ELSE 7 END AS nearest,
           f.due_date + %(escalation_days)s AS escalate_from
    FROM facts f
),
entry AS (
    SELECT m.recipient_id, m.today, m.zone, m.item_id, m.key, m.due_date,
      CASE
        WHEN m.role = 'coordinator' THEN
          CASE WHEN m.due_date IS NOT NULL AND m.today >= m.escalate_from
                    AND (m.last IS NULL OR m.last < m.escalate_from
                         OR m.last <= m.today - m.cadence)
               THEN 'escalation' END
        WHEN m.due_date < m.today THEN
          CASE WHEN m.follow_up OR m.last IS NULL OR m.last < m.due_date + 1
               THEN 'overdue' END
        WHEN m.due_date - m.today <= 7 THEN
          CASE WHEN m.follow_up OR m.last IS NULL OR m.last < m.due_date - m.nearest
               THEN 'due_soon' END
        WHEN m.follow_up THEN 'follow_up'
      END AS kind
    FROM marks m
)
SELECT e.recipient_id, e.today,
       ((e.today + %(window_end)s * interval '1 minute') AT TIME ZONE e.zone) AS send_before,
       array_agg(e.item_id ORDER BY e.item_id) AS items,
       array_agg(e.kind ORDER BY e.item_id) AS kinds
FROM entry e
WHERE e.kind IS NOT NULL
GROUP BY e.recipient_id, e.today, e.zone
"""

INSERT_CLAIMS = """
WITH claim AS (
    SELECT * FROM unnest(%(recipients)s::bigint[], %(days)s::date[], %(send_before)s::timestamptz[])
        AS c(recipient_id, local_date, send_before)
),
made AS (
    INSERT INTO tracker_reminder
        (recipient_id, local_date, state, created_at, attempts, last_error, message_id,
         next_attempt_at, send_before, give_up_after)
    SELECT c.recipient_id, c.local_date, 'pending', %(now)s, 0, '',
           '<reminder.' || gen_random_uuid() || '@localhost>', %(now)s, c.send_before,
           %(max_attempts)s
    FROM claim c
    ON CONFLICT (recipient_id, local_date) DO NOTHING
    RETURNING id, recipient_id
)
INSERT INTO tracker_reminderitem (reminder_id, item_id, kind)
SELECT made.id, e.item_id, e.kind
FROM made
JOIN unnest(%(entry_recipients)s::bigint[], %(entry_items)s::bigint[], %(entry_kinds)s::text[])
    AS e(recipient_id, item_id, kind) ON e.recipient_id = made.recipient_id
"""
