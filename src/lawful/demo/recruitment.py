"""Applicant tracking (`ats`): candidates, their applications and interviews, and for the
candidates who get an offer, a background check and a proof of identity and right to work.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from lawful.demo.clock import TODAY, YEAR, day, stamp
from lawful.demo.fake import PERSONAL_DOMAINS, make_person
from lawful.demo.plan import FamilyContext
from lawful.demo.writer import Row

SYSTEM = "ats"
SITES = {"FR": "Lyon", "GR": "Thessaloniki"}
JOBS = (
    "Customer service advisor",
    "Bilingual advisor French/English",
    "Technical support agent",
    "Outbound sales advisor",
    "Team leader",
    "Quality analyst",
    "Workforce planner",
    "Back-office clerk",
)
SOURCES = ("careers_site", "job_board", "referral", "agency", "social_media")
CHANNELS = ("video", "phone", "on_site")
NOTES = (
    "Clear voice, listens well, calm under pressure.",
    "Strong written French; would need coaching on the CRM tools.",
    "Good role play, slightly fast on the phone.",
    "Fluent English and Greek; available for evening shifts.",
    "Solid sales experience, asked about the bonus scheme.",
    "Hesitant in the role play; suggest another interview.",
)
COVER_LETTERS = (
    "I have three years of experience on a telecom helpline and enjoy solving problems.",
    "Fluent in French and English, I would like to join your Lyon team.",
    "After my studies in Thessaloniki I am looking for my first customer-facing job.",
    "I led a team of eight advisors and want to grow in quality management.",
)
OFFENCES = (
    "Road traffic offence (fine), 2017",
    "Fraud conviction, suspended sentence, 2015",
    "Theft, community service, 2019",
)
GENDERS = ("female", "male", "non_binary", "prefer_not_to_say")
AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55+", "prefer_not_to_say")
DISABILITY = ("no", "yes", "prefer_not_to_say")
ADJUSTMENTS = (
    "Step-free access to the interview room",
    "Extra time for the written test",
    "Test compatible with a screen reader",
)
DOCUMENTS = ("passport", "national_id_card", "residence_permit")


@dataclass
class _Ids:
    interviewers: int  # employees who may run an interview: ids 1..interviewers
    application: int = 0
    interview: int = 0
    check: int = 0
    survey: int = 0
    proof: int = 0


@dataclass(frozen=True)
class _Outcome:
    status: str
    last_activity: int
    offer_day: int | None  # the day an offer was accepted, if any


def generate(ctx: FamilyContext) -> None:
    rng = ctx.plan.rng("recruitment")
    rows = {t: ctx.writer.rows(SYSTEM, t) for t in _TABLES}
    ids = _Ids(interviewers=ctx.plan.counts["employee"])
    offset = ctx.plan.offsets["applicant"]
    for candidate_id in range(1, ctx.plan.counts["applicant"] + 1):
        country = "FR" if rng.random() < 0.6 else "GR"
        person = make_person(
            rng, ctx.pools.by_country[country], offset + candidate_id, PERSONAL_DOMAINS
        )
        created = TODAY - int(rng.random() * 6 * YEAR)
        outcome = _applications(rng, rows, ids, candidate_id, created, country)
        birth = created - 18 * YEAR - int(rng.random() * 40 * YEAR)
        source = SOURCES[int(rng.random() * len(SOURCES))]
        rows["candidates"].append(
            (
                candidate_id,
                *person,
                day(birth),
                source,
                outcome.status,
                stamp(created, _office_second(rng)),
                stamp(outcome.last_activity, 61_200),
                None,  # employment_ended_on: set by the HR system when a hire leaves
            )
        )
        if outcome.offer_day is not None:
            _vetting(rng, rows, ids, candidate_id, outcome.offer_day, country)
        if rng.random() < 0.35:
            _survey(rng, rows["equal_opportunity_surveys"], ids, candidate_id, created)
        if candidate_id % 64 == 0:
            ctx.writer.flush()


_TABLES = (
    "candidates",
    "applications",
    "interviews",
    "background_checks",
    "equal_opportunity_surveys",
    "id_proofs",
)


def _office_second(rng: Random) -> int:
    return 28_800 + int(rng.random() * 36_000)  # 08:00–18:00


def _applications(
    rng: Random,
    rows: dict[str, list[Row]],
    ids: _Ids,
    candidate_id: int,
    created: int,
    country: str,
) -> _Outcome:
    count = 1 + (rng.random() < 0.35) + (rng.random() < 0.1)
    submitted = created
    last, status, offer = created, "rejected", None
    for _ in range(count):
        submitted = min(TODAY, submitted + int(rng.random() * 60))
        ids.application += 1
        decision, decided = _decision(rng, submitted)
        site = SITES[country] if rng.random() < 0.9 else SITES["GR" if country == "FR" else "FR"]
        letter = COVER_LETTERS[int(rng.random() * 4)] if rng.random() < 0.4 else None
        rows["applications"].append(
            (
                ids.application,
                candidate_id,
                JOBS[int(rng.random() * len(JOBS))],
                site,
                letter,
                22_000 + 500 * int(rng.random() * 20),
                stamp(submitted, _office_second(rng)),
                decision,
                None if decided is None else stamp(decided, _office_second(rng)),
            )
        )
        _interviews(rng, rows["interviews"], ids, (submitted, decided or TODAY), decision)
        last = max(last, decided or submitted)
        status = decision or "in_process"
        if decision == "hired":
            offer = decided
    return _Outcome(
        status=status if offer is None else "hired", last_activity=last, offer_day=offer
    )


def _decision(rng: Random, submitted: int) -> tuple[str | None, int | None]:
    if TODAY - submitted < 20:
        return None, None  # still being assessed
    roll = rng.random()
    decision = "hired" if roll < 0.12 else "withdrawn" if roll < 0.27 else "rejected"
    return decision, min(TODAY, submitted + 5 + int(rng.random() * 25))


def _interviews(
    rng: Random, rows: list[Row], ids: _Ids, period: tuple[int, int], decision: str | None
) -> None:
    submitted, until = period
    count = 2 if decision == "hired" else int(rng.random() * 2.2)
    for rank in range(count):
        ids.interview += 1
        when = submitted + 1 + (until - submitted) * (rank + 1) // (count + 1)
        rows.append(
            (
                ids.interview,
                ids.application,
                1 + int(rng.random() * ids.interviewers),
                CHANNELS[int(rng.random() * 3)],
                stamp(when, _office_second(rng)),
                NOTES[int(rng.random() * len(NOTES))],
                1 + int(rng.random() * 5),
            )
        )


def _vetting(
    rng: Random, rows: dict[str, list[Row]], ids: _Ids, candidate_id: int, offer: int, country: str
) -> None:
    """Offers depend on a criminal-record check (GDPR Art. 10) and a right-to-work check."""
    ids.check += 1
    requested = offer - 3
    completed = requested + 2 + int(rng.random() * 8)
    found = rng.random() < 0.03
    rows["background_checks"].append(
        (
            ids.check,
            candidate_id,
            f"BC-{rng.getrandbits(32):08X}",
            "entry_found" if found else "no_entry",
            rng.choice(OFFENCES) if found else None,
            stamp(requested, _office_second(rng)),
            stamp(min(completed, TODAY), 57_600),
        )
    )
    ids.proof += 1
    document = DOCUMENTS[int(rng.random() * 3)]
    number = f"{rng.randrange(10, 99)}{rng.choice('ABCDEFGHKMNPRTXZ')}{rng.randrange(10**6):06d}"
    nationality = country if rng.random() < 0.9 else rng.choice(("IT", "ES", "PT", "RO", "MA"))
    rows["id_proofs"].append(
        (
            ids.proof,
            candidate_id,
            document,
            number,
            nationality,
            day(offer + 2 * YEAR),
            f"proofs/{candidate_id}/{document}.pdf",
            stamp(offer, 36_000),
            stamp(min(offer + 1, TODAY), 39_600),
        )
    )


def _survey(rng: Random, rows: list[Row], ids: _Ids, candidate_id: int, created: int) -> None:
    """Voluntary equal-opportunity answers: kept apart from the hiring decision."""
    ids.survey += 1
    disability = DISABILITY[int(rng.random() * 3)]
    adjustment = rng.choice(ADJUSTMENTS) if disability == "yes" and rng.random() < 0.5 else None
    rows.append(
        (
            ids.survey,
            candidate_id,
            GENDERS[int(rng.random() * 4)],
            rng.choice(AGE_BANDS),
            disability,
            adjustment,
            stamp(created + 1, _office_second(rng)),
        )
    )
