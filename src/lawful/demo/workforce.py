"""Human resources (`hris`): employees, their payslips, time entries and emergency contacts."""

from __future__ import annotations

from random import Random

from lawful.demo.clock import MONTH, TODAY, YEAR, clock_time, day, month_of, stamp
from lawful.demo.fake import (
    PERSONAL_DOMAINS,
    Person,
    iban,
    make_person,
    phone_number,
    social_security_number,
)
from lawful.demo.plan import FamilyContext, Plan
from lawful.demo.writer import Row

SYSTEM = "hris"
WORK_DOMAIN = "voxaria.example"
SITES = {"FR": "Lyon", "GR": "Thessaloniki"}
JOBS = (
    "Customer service advisor",
    "Customer service advisor",
    "Customer service advisor",
    "Technical support agent",
    "Outbound sales advisor",
    "Team leader",
    "Quality analyst",
    "Workforce planner",
)
RELATIONSHIPS = ("partner", "parent", "sibling", "friend", "child")
# Monthly gross pay in euros by country, and the share left after employee contributions.
PAY = {"FR": (1_850, 3_200, 0.78), "GR": (880, 1_700, 0.83)}
PAYSLIPS_KEPT = 36
TIME_ENTRIES_KEPT = 10


def generate(ctx: FamilyContext) -> None:
    rng = ctx.plan.rng("workforce")
    rows = {t: ctx.writer.rows(SYSTEM, t) for t in _TABLES}
    payslip_id = entry_id = contact_id = 0
    offset = ctx.plan.offsets["employee"]
    for employee_id in range(1, ctx.plan.counts["employee"] + 1):
        country = "FR" if rng.random() < 0.55 else "GR"
        person = make_person(
            rng, ctx.pools.by_country[country], offset + employee_id, PERSONAL_DOMAINS
        )
        hired = TODAY - int(rng.random() * 8 * YEAR)
        tenure = int(rng.expovariate(1 / (20 * MONTH)))
        left = hired + tenure if hired + tenure < TODAY else None
        rows["employees"].append(_employee(rng, employee_id, person, hired, left))
        payslip_id = _payslips(rng, rows["payslips"], payslip_id, employee_id, country, hired, left)
        entry_id = _time_entries(rng, rows["time_entries"], entry_id, employee_id, left)
        contact_id = _emergency_contacts(
            rng, rows["emergency_contacts"], contact_id, ctx, employee_id, country, (hired, left)
        )
        if employee_id % 64 == 0:
            ctx.writer.flush()


_TABLES = ("employees", "payslips", "time_entries", "emergency_contacts")


def _employee(rng: Random, employee_id: int, person: Person, hired: int, left: int | None) -> Row:
    sex = 1 if rng.random() < 0.5 else 2
    birth = hired - 18 * YEAR - int(rng.random() * 35 * YEAR)
    work_email = person.email.partition("@")[0] + "@" + WORK_DOMAIN
    ssn = social_security_number(person.country, rng, sex, day(birth))
    return (
        employee_id,
        f"VX{employee_id:06d}",
        person.first_name,
        person.last_name,
        work_email,
        person.email,
        person.phone,
        day(birth),
        person.street,
        person.postal_code,
        person.city,
        person.country,
        ssn,
        JOBS[int(rng.random() * len(JOBS))],
        SITES[person.country],
        day(hired),
        None if left is None else day(left),
    )


def _payslips(
    rng: Random,
    rows: list[Row],
    last_id: int,
    employee_id: int,
    country: str,
    hired: int,
    left: int | None,
) -> int:
    """One payslip a month, paid on the 28th; the most recent ones only."""
    low, high, net_share = PAY[country]
    gross = 100 * (low + int(rng.random() * (high - low)))
    account = iban(country, rng)
    first, last = _month_index(month_of(hired)), _month_index(month_of((left or TODAY) - 1))
    for index in range(max(first, last - PAYSLIPS_KEPT + 1), last + 1):
        year, month = divmod(index, 12)
        period = f"{year}-{month + 1:02d}"
        bonus = 100 * int(rng.random() * 150) if rng.random() < 0.3 else 0
        last_id += 1
        rows.append(
            (
                last_id,
                employee_id,
                period,
                gross + bonus,
                int((gross + bonus) * net_share),
                account,
                f"{period}-28",
            )
        )
    return last_id


def _month_index(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def _time_entries(
    rng: Random, rows: list[Row], last_id: int, employee_id: int, left: int | None
) -> int:
    """Clock-in and clock-out of the last working days (Monday to Friday)."""
    worked = (left or TODAY) - 1
    for _ in range(TIME_ENTRIES_KEPT):
        while (worked - 1) % 7 >= 5:  # ordinal 1 (0001-01-01) was a Monday
            worked -= 1
        start = 25_200 + 900 * int(rng.random() * 12)  # 07:00–09:45
        last_id += 1
        rows.append(
            (
                last_id,
                employee_id,
                day(worked),
                clock_time(start),
                clock_time(start + 28_800),
                30 + 15 * int(rng.random() * 3),
            )
        )
        worked -= 1
    return last_id


def _emergency_contacts(
    rng: Random,
    rows: list[Row],
    last_id: int,
    ctx: FamilyContext,
    employee_id: int,
    country: str,
    employment: tuple[int, int | None],
) -> int:
    hired, left = employment
    pool = ctx.pools.by_country[country]
    plan: Plan = ctx.plan
    # Employees confirm their emergency contacts once a year; a contact left unconfirmed
    # past the retention period is deleted.
    end = left or TODAY
    for rank in range(1 if rng.random() < 0.8 else 2):
        name = f"{rng.choice(pool.first_names)} {rng.choice(pool.last_names)}"
        phone = phone_number(country, plan.emergency_contact_number(employee_id, rank))
        confirmed = max(hired, end - int(rng.random() * YEAR))
        last_id += 1
        rows.append(
            (
                last_id,
                employee_id,
                name,
                rng.choice(RELATIONSHIPS),
                phone,
                stamp(hired, 36_000 + rank * 60),
                stamp(confirmed, 37_000 + rank * 60),
            )
        )
    return last_id
