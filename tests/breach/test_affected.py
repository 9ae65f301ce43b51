"""The people a breach affects, counted through the connectors on the example company (on
SQLite, PostgreSQL and MariaDB), equal the people the data really describes."""

from __future__ import annotations

from typing import Any

from lawful.breach.affected import Affected, find_affected

Company = Any  # tests/conftest.py: ExampleCompany


def _affected(company: Company, datasets: list[str], *, list_people: bool = False) -> Affected:
    with company.datastores() as datastores:
        return find_affected(
            datamap=company.datamap,
            datastores=datastores,
            datasets=datasets,
            list_people=list_people,
        )


def _one(company: Company, system: str, sql: str) -> int:
    (row,) = company.query(system, sql)
    return int(next(iter(row.values())))


def _system(company: Company, system: str) -> list[str]:
    return [d for d, ds in company.datamap.datasets.items() if ds.system == system]


def test_a_breach_of_the_recruitment_system_affects_each_candidate_once(
    example_company: Company,
) -> None:
    found = _affected(example_company, _system(example_company, "ats"))
    assert found.people == _one(example_company, "ats", "SELECT COUNT(*) FROM candidates")
    assert found.unidentified == 0
    for did in _system(example_company, "ats"):
        table = example_company.datamap.datasets[did].table or did
        assert found.records[did] == _one(example_company, "ats", f"SELECT COUNT(*) FROM {table}")
    assert "criminal.record" in found.categories
    assert found.subjects == ["applicant"]
    assert found.clients == []


def test_child_records_count_the_people_they_belong_to(example_company: Company) -> None:
    found = _affected(example_company, ["page_views", "campaign_sends"])
    visitors = _one(example_company, "web", "SELECT COUNT(DISTINCT visitor_id) FROM page_views")
    prospects = _one(
        example_company, "marketing", "SELECT COUNT(DISTINCT prospect_id) FROM campaign_sends"
    )
    assert found.people == visitors + prospects > 0


CALLERS_FROM_OTHER_LINES = """
SELECT COUNT(DISTINCT ani) FROM calls
WHERE direction = 'inbound' AND ani IS NOT NULL
  AND ani NOT IN (SELECT phone FROM customers WHERE phone IS NOT NULL)
"""
ANONYMOUS_CALLS = "SELECT call_id FROM calls WHERE customer_id IS NULL AND ani IS NULL"


def test_a_client_platform_breach_counts_customers_and_other_callers_not_our_own_lines(
    example_company: Company,
) -> None:
    """Calls from withheld numbers nobody was matched to identify no one; our outbound line
    and hotline are on everyone's calls, so they name no one; a caller from another line is
    another person."""
    datasets = _system(example_company, "contact_eu")
    found = _affected(example_company, datasets)
    customers = _one(example_company, "contact_eu", "SELECT COUNT(*) FROM customers")
    others = _one(example_company, "contact_eu", CALLERS_FROM_OTHER_LINES)
    assert found.people == customers + others
    anonymous = _one(example_company, "contact_eu", f"SELECT COUNT(*) FROM ({ANONYMOUS_CALLS}) a")
    children = sum(
        _one(
            example_company,
            "contact_eu",
            f"SELECT COUNT(*) FROM {t} WHERE call_id IN ({ANONYMOUS_CALLS})",
        )
        for t in ("call_recordings", "ivr_transactions", "agent_screenshots")
    )
    assert found.unidentified == anonymous + children
    assert found.clients == ["lumiere"]


def test_the_list_of_people_holds_how_to_reach_each_once(sqlite_company: Company) -> None:
    found = _affected(sqlite_company, ["candidates", "applications"], list_people=True)
    assert len(found.persons) == found.people
    emails = {v for p in found.persons for k, v in p.values if k == "email"}
    expected = {
        r["email"].lower() for r in sqlite_company.query("ats", "SELECT email FROM candidates")
    }
    assert emails == expected
    assert all(p.datasets[0] in {"applications", "candidates"} for p in found.persons)
