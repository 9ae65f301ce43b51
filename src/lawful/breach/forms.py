"""The breach register's console forms, read in full before anything is stored: every field
that is wrong is named at once, next to the field, with what to write instead (the services
then check again, and their one error joins the others).

Times are typed as the browser's `datetime-local` gives them (`2026-12-07T10:30`) and read as
UTC, the zone every breach page shows: a 72-hour deadline is an instant (GDPR Art. 33(1)).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lawful.breach.assessment import Exemption
from lawful.breach.models import Incident, IncidentStatus, OurRole, Risk
from lawful.breach.service import KINDS, PROCESSOR_ROLES, Changes
from lawful.datamap.models import DataMap
from lawful.http.forms import CONTROL, CONTROL_MESSAGE

Errors = dict[str, str]
TEXT_LIMIT = 10_000
AUDIENCES = ("authority", "people", "clients")  # Art. 33(1), Art. 34(1), Art. 33(2)


def check_controls(form: Form, errors: Errors) -> None:
    """A control character (a NUL byte, an escape) is never typed: name the field at fault,
    rather than let a database refuse it."""
    named = list(form.single.items()) + [(k, v) for k, vs in form.lists.items() for v in vs]
    for name, value in named:
        if CONTROL.search(value) and name not in errors:
            errors[name] = CONTROL_MESSAGE


class Form:
    """A submitted form: single values and lists, by field name."""

    def __init__(self, single: Mapping[str, str], lists: Mapping[str, Sequence[str]]) -> None:
        self.single, self.lists = single, lists

    def text(self, name: str) -> str:
        return str(self.single.get(name, "")).strip()

    def many(self, name: str) -> list[str]:
        return [v.strip() for v in self.lists.get(name, []) if v.strip()]


def parse_time(text: str, *, name: str, errors: Errors, now: datetime) -> datetime | None:
    """A typed time (UTC unless it says otherwise), never in the future; None when blank."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        errors[name] = f"“{text[:40]}” is not a date and time: write it as 2026-12-07T10:30 (UTC)."
        return None
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if moment > now:
        errors[name] = "This time is in the future: give the time it happened (UTC)."
        return None
    return moment


def _known(
    values: list[str], known: Sequence[str], *, name: str, what: str, errors: Errors
) -> list[str]:
    unknown = [v for v in values if v not in known]
    if unknown:
        errors[name] = f"Unknown {what}: {', '.join(unknown)[:200]}. Choose among the list."
    return [v for v in values if v in known]


def _limited(form: Form, name: str, limit: int, label: str, errors: Errors) -> str:
    value = form.text(name)
    if len(value) > limit:
        errors[name] = f"The {label} is too long: at most {limit:,} characters."
    return value


@dataclass
class Opening:
    """What the open form asks for, checked."""

    title: str = ""
    became_aware_at: datetime | None = None
    reported_by: str | None = None
    reported_to_us_at: datetime | None = None
    systems: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    nature: str | None = None
    role: OurRole | None = None

    def arguments(self) -> dict[str, Any]:
        return dict(self.__dict__)


def read_opening(form: Form, *, datamap: DataMap, now: datetime) -> tuple[Opening, Errors]:
    errors: Errors = {}
    title = _limited(form, "title", 200, "title", errors)
    if not title:
        errors["title"] = "Give the incident a short title, e.g. “Laptop with ATS exports stolen”."
    aware = parse_time(form.text("became_aware_at"), name="became_aware_at", errors=errors, now=now)
    told = parse_time(form.text("reported_to_us_at"), name="reported_to_us_at", errors=errors,
                      now=now)  # fmt: skip
    reporter = form.text("reported_by") or None
    processors = [r for r, v in datamap.recipients.items() if v.role in PROCESSOR_ROLES]
    if reporter is not None and reporter not in processors:
        errors["reported_by"] = f"“{reporter[:60]}” is not one of the map's processors."
        reporter = None
    if reporter and told is None and "reported_to_us_at" not in errors:
        errors["reported_to_us_at"] = (
            "Say when the processor told us: for them the 72 hours run from then (Art. 33(2))."
        )
    if aware is None and told is None and "became_aware_at" not in errors:
        errors["became_aware_at"] = (
            "Say when we became aware of the breach: the 72 hours run from then (GDPR Art. 33(1))."
        )
    systems = _known(form.many("systems"), list(datamap.systems), name="systems",
                     what="system", errors=errors)  # fmt: skip
    datasets = _known(form.many("datasets"), list(datamap.datasets), name="datasets",
                      what="dataset", errors=errors)  # fmt: skip
    if not systems and not datasets and "systems" not in errors and "datasets" not in errors:
        errors["datasets"] = "Choose the datasets (or the systems) the breach reached."
    kinds = _known(form.many("kinds"), KINDS, name="kinds", what="kind of breach", errors=errors)
    role_text = form.text("role")
    role = OurRole(role_text) if role_text in OurRole.__members__ else None
    if role_text and role is None:
        errors["role"] = "Choose controller, processor, or let the map decide."
    nature = _limited(form, "nature", TEXT_LIMIT, "description", errors) or None
    opening = Opening(title, aware, reporter, told, systems, datasets, kinds, nature, role)
    check_controls(form, errors)
    return opening, errors


# --- an update: one phase of information (Art. 33(4)) -------------------------------------------

TEXTS = {
    "title": ("title", 200),
    "nature": ("nature of the breach", TEXT_LIMIT),  # Art. 33(3)(a)
    "consequences": ("likely consequences", TEXT_LIMIT),  # Art. 33(3)(c)
    "measures_taken": ("measures taken", TEXT_LIMIT),  # Art. 33(3)(d)
    "measures_proposed": ("measures proposed", TEXT_LIMIT),  # Art. 33(3)(d)
    "advice_to_people": ("advice to people", TEXT_LIMIT),  # Art. 34(2)
    "risk_reasoning": ("reasoning on the risk", TEXT_LIMIT),
    "delay_reasons": ("reasons for the delay", TEXT_LIMIT),  # Art. 33(1)
}


def map_categories(datamap: DataMap, incident: Incident) -> list[str]:
    """The data categories the incident's datasets hold, and any already recorded."""
    found = {f.category for d in incident.datasets for f in datamap.datasets[d].fields.values()}
    return sorted(found | set(incident.categories))


def read_changes(
    form: Form, *, datamap: DataMap, incident: Incident, now: datetime
) -> tuple[Changes, Errors]:
    """The changes an update form asks for: only what differs from the incident as it is."""
    errors: Errors = {}
    changes = Changes()
    for name, (label, limit) in TEXTS.items():
        value = _limited(form, name, limit, label, errors)
        if name == "title" and not value:
            errors[name] = "An incident keeps a title: write a short one."
        elif value != (getattr(incident, name) or ""):
            setattr(changes, name, value)
    for name, kind in (("status", IncidentStatus), ("risk", Risk)):
        text = form.text(name)
        if text not in kind.__members__:
            errors[name] = f"Choose one of: {', '.join(kind)}."
        elif kind(text) != getattr(incident, name):
            setattr(changes, name, kind(text))
    _times(form, incident, changes, errors, now)
    _lists(form, datamap, incident, changes, errors)
    count = form.text("people_count")
    if count:
        if not count.isdigit() or len(count) > 10:
            errors["people_count"] = "Write the number of people as a whole number, e.g. 1200."
        elif int(count) != incident.people_count:
            changes.people_count = int(count)
    check_controls(form, errors)
    return changes, errors


def _times(form: Form, incident: Incident, changes: Changes, errors: Errors, now: datetime) -> None:
    start = parse_time(form.text("occurred_from"), name="occurred_from", errors=errors, now=now)
    end = parse_time(form.text("occurred_until"), name="occurred_until", errors=errors, now=now)
    if start and end and end < start:
        errors["occurred_until"] = "The breach cannot end before it began."
    if start and start != incident.occurred_from:
        changes.occurred_from = start
    if end and end != incident.occurred_until:
        changes.occurred_until = end


def _lists(
    form: Form, datamap: DataMap, incident: Incident, changes: Changes, errors: Errors
) -> None:
    kinds = _known(form.many("kinds"), KINDS, name="kinds", what="kind of breach", errors=errors)
    if kinds != incident.kinds:
        changes.kinds = kinds
    exemptions = _known(form.many("exemptions"), list(Exemption), name="exemptions",
                        what="Art. 34(3) ground", errors=errors)  # fmt: skip
    if exemptions != incident.exemptions:
        changes.exemptions = exemptions
    categories = _known(form.many("categories"), map_categories(datamap, incident),
                        name="categories", what="data category", errors=errors)  # fmt: skip
    if sorted(categories) != sorted(incident.categories):
        changes.categories = sorted(categories)
    added = _known(form.many("add_datasets"), list(datamap.datasets), name="add_datasets",
                   what="dataset", errors=errors)  # fmt: skip
    changes.add_datasets = [d for d in added if d not in incident.datasets]


# --- a notification made (Art. 33(1), 33(2), 34(1)) ---------------------------------------------


@dataclass
class Notice:
    audience: str
    at: datetime
    channel: str
    authority_reference: str | None
    delay_reasons: str | None
    note: str | None


def read_notice(form: Form, *, incident: Incident, now: datetime) -> tuple[Notice | None, Errors]:
    errors: Errors = {}
    audience = form.text("audience")
    if audience not in AUDIENCES:
        errors["audience"] = "Choose who was told: the authority, the people, or our clients."
    at = parse_time(form.text("notified_at"), name="notified_at", errors=errors, now=now)
    if at is None and "notified_at" not in errors:
        errors["notified_at"] = "Say when they were told (UTC), e.g. 2026-12-07T10:30."
    if at is not None and at < incident.became_aware_at:
        errors["notified_at"] = "They cannot have been told before we became aware of the breach."
    channel = _limited(form, "channel", 100, "channel", errors)
    if not channel:
        errors["channel"] = "Say how: e.g. the authority's online form, email to each person."
    reference = _limited(form, "authority_reference", 100, "authority's reference", errors)
    delay = _limited(form, "delay_reasons", TEXT_LIMIT, "reasons for the delay", errors)
    note = _limited(form, "note", 2000, "note", errors)
    check_controls(form, errors)
    if errors:
        return None, errors
    assert at is not None
    return Notice(audience, at, channel, reference or None, delay or None, note or None), errors
