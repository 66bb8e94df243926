"""The dashboard (SPEC §13): the open queue at a glance, the weekly on-time rate as a
chart, complaint deadlines, and who carries which load.

Every figure is one aggregate query (pirights.requests.figures, complaints.queries), so
the page costs the same at a thousand requests as at a million. Supervisors and admins
see every assignee's load, an agent sees their own, an auditor none (names of staff are
not part of what the SLA report shows them).
"""

from __future__ import annotations

from typing import Any

from babel.dates import format_skeleton
from flask import g, render_template
from flask_babel import get_locale
from flask_babel import gettext as _

from pirights import clock
from pirights.complaints.queries import open_deadlines
from pirights.console.blueprint import bp
from pirights.console.chart import Bar, bar_chart
from pirights.console.dates import local_zone, shown
from pirights.console.session import console_view
from pirights.console.words import STATUS_LABELS, type_label
from pirights.requests import figures, lifecycle
from pirights.staff import roles

LABEL_EVERY = 4  # weeks between dates on the chart's axis
NEAREST = 8  # complaint deadlines listed per kind


def _chart(weeks: list[figures.Week], tz) -> dict[str, Any]:
    """The chart's SVG and the rows of its table, in the page language."""
    locale = get_locale()
    rows, bars = [], []
    for n, week in enumerate(weeks):
        day = week.start.astimezone(tz).date()
        label = format_skeleton("MMMd", day, locale=locale)
        rate = week.rate
        if rate is None:
            tip = _("Week of %(day)s: nothing closed", day=label)
        else:
            share = f"{rate:.0%}"
            tip = _(
                "Week of %(day)s: %(on_time)d of %(closed)d closed on time (%(rate)s)",
                day=label,
                on_time=week.on_time,
                closed=week.closed,
                rate=share,
            )
        last = n == len(weeks) - 1
        labelled = (len(weeks) - 1 - n) % LABEL_EVERY == 0
        bars.append(Bar(label if labelled else "", tip, rate))
        rows.append(
            {
                "week": label,
                "current": last,
                "closed": week.closed,
                "on_time": week.on_time,
                "rate": "—" if rate is None else f"{rate:.0%}",
            }
        )
    closed = sum(w.closed for w in weeks)
    on_time = sum(w.on_time for w in weeks)
    share = f"{on_time / closed:.0%}" if closed else "—"
    overall = _(
        "%(on_time)d of %(closed)d requests closed on time (%(rate)s).",
        on_time=on_time,
        closed=closed,
        rate=share,
    )
    svg = bar_chart(
        bars,
        title=_("On-time rate per week, last %(weeks)d weeks", weeks=len(weeks)),
        description=_(
            "Share of the requests closed each week that were closed by their due date. "
            "In total: %(overall)s",
            overall=overall,
        ),
        element_id="on-time-chart",
        empty_label=_("No request was closed in these weeks."),
    )
    return {"svg": svg, "rows": rows, "overall": overall, "weeks": len(weeks)}


def _load(queue: figures.OpenQueue) -> list[figures.Load] | None:
    """The load rows the member may see: everyone's, their own, or none."""
    member = g.member
    if member.role in roles.SUPERVISORS:
        return queue.load
    if member.role == roles.AGENT:
        return [x for x in queue.load if x.assignee == member.name] or [figures.Load(member.name)]
    return None


def _deadlines(kind: str, now, tz) -> dict[str, Any]:
    """A kind of complaint deadline: counts and the nearest ones, dates formatted."""
    found = open_deadlines(kind, now, NEAREST)
    return {
        "open": found.open,
        "overdue": found.overdue,
        "nearest": [
            {
                "reference": d.reference,
                "due": shown(d.due_at, tz),
                "overdue": d.overdue,
                "assignee": d.assignee,
            }
            for d in found.nearest
        ],
    }


@bp.get("/dashboard")
@console_view(*roles.ALL_STAFF)
def dashboard():
    """The dashboard: open requests, on-time rate, complaint deadlines, load."""
    now = clock.now()
    tz = local_zone()
    queue = figures.open_queue(now)
    weeks = figures.on_time_by_week(now, tz)
    by_type = sorted(queue.by_type.items(), key=lambda item: (-item[1], item[0]))
    return render_template(
        "console/dashboard.html",
        now=shown(now, tz),
        queue=queue,
        statuses=[(s, STATUS_LABELS[s], queue.by_status.get(s, 0)) for s in lifecycle.OPEN],
        types=[(t, type_label(t), n) for t, n in by_type],
        chart=_chart(weeks, tz),
        measures=_deadlines("measure", now, tz),
        remediations=_deadlines("remediation", now, tz),
        load=_load(queue),
        sees_everyone=g.member.role in roles.SUPERVISORS,
    )
