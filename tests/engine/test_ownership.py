"""Ownership, not reachability: a row is the person's when its owning link leads to them. A
row reached through their rows but owned by someone else is left out of the package and
never changed; a row other people's rows reference (declared in the map or only in the live
database) is shared: kept, and reported as kept."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from lawful.datamap.loader import load_datamap
from lawful.engine.access import AccessResult, run_access
from lawful.engine.erasure import run_erasure
from lawful.engine.jobs import JobReport
from lawful.engine.package import write_access_package
from lawful.engine.plan import build_plan
from lawful.retention.holds import legal_holds_on
from lawful.store.crypto import Keyring

TODAY = __import__("datetime").date(2026, 11, 22)
ANN = "email=ann.lee@example.org"


def _access(club: Any, sessions: sessionmaker[Session], keyring: Keyring) -> AccessResult:
    with sessions() as session, club.datastores() as datastores:
        return run_access(
            session,
            datamap=club.datamap,
            identity=club.identity(ANN),
            datastores=datastores,
            keyring=keyring,
        )


def _erase(club: Any, sessions: sessionmaker[Session], keyring: Keyring, who: str) -> JobReport:
    with club.datastores() as datastores:
        return run_erasure(
            sessions,
            datamap=club.datamap,
            identity=club.identity(who),
            datastores=datastores,
            keyring=keyring,
            today=TODAY,
            holds=legal_holds_on,
        )


def _rows(club: Any, table: str, key: str) -> list[Any]:
    return [r[key] for r in club.snapshot()[table]]


def test_another_members_payment_on_her_loan_is_neither_disclosed_nor_erased(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring, tmp_path: Path
) -> None:
    result = _access(club, sessions, keyring)
    found = {d.labels.dataset: d.rows for d in result.datasets}
    assert [r["payment_id"] for r in found["payments"]] == [100]  # not Bo's 101 on her loan
    assert result.left_out == {"payments": 1}
    package = write_access_package(result=result, datamap=club.datamap, path=tmp_path / "p.zip")
    with zipfile.ZipFile(package) as archive:
        data = json.loads(archive.read("data.json"))
        assert "belong to other people" in archive.read("report.html").decode()
    assert [(e["dataset"], e["records"]) for e in data["left_out"]] == [("payments", 1)]

    report = _erase(club, sessions, keyring, ANN)
    assert report.status == "done", report
    assert _rows(club, "payments", "payment_id") == [101, 102]
    assert [(e["dataset"], e["records"]) for e in report.summary["left_out"]] == [("payments", 1)]


def test_her_loan_that_another_members_payment_references_is_kept_and_reported_shared(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    report = _erase(club, sessions, keyring, ANN)
    assert report.status == "done", report
    loan = next(r for r in club.snapshot()["loans"] if r["loan_id"] == 10)
    assert loan["film"] == "Film A"
    kept = {k["dataset"]: k for k in report.summary["kept"] if k["reason"] == "shared"}
    assert "`payments`" in kept["loans"]["why"]


def test_an_address_used_by_staff_and_a_table_outside_the_map_is_kept_and_reported_shared(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    before = club.snapshot()["places"]
    report = _erase(club, sessions, keyring, ANN)
    assert report.status == "done", report
    assert club.snapshot()["places"] == before
    why = next(k["why"] for k in report.summary["kept"] if k["dataset"] == "places")
    assert "`staff`" in why
    assert "`branches` (not in the map)" in why


def test_a_row_only_a_table_outside_the_map_references_is_kept(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    report = _erase(club, sessions, keyring, "email=bo@example.org")
    assert report.status == "done", report
    bo_place = next(r for r in club.snapshot()["places"] if r["place_id"] == 2)
    assert bo_place["line1"] == "2 Bo Lane"  # branch 2 is there: the map never says so


def test_the_plan_says_which_link_owns_each_dataset(club: Any) -> None:
    plan = build_plan(datamap=club.datamap, identity=club.identity(ANN))
    payments = plan.step("payments").owner
    assert payments is not None
    assert payments.source == "members"
    assert "nearest to an identity" in payments.describe()
    members = plan.step("members").owner
    assert members is not None
    assert members.describe() == "holds the person's identity"
    assert plan.step("places").owner is None


def test_a_reference_marked_owner_decides_whose_the_rows_are(
    club: Any, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    text = club.map_path.read_text().replace(
        "loan_id: {category: identifier.internal, references: loans.loan_id}",
        "loan_id: {category: identifier.internal, references: {to: loans.loan_id, owner: true}}",
    )
    club.map_path.write_text(text)
    club.datamap = load_datamap(club.map_path).datamap
    owner = build_plan(datamap=club.datamap, identity=club.identity(ANN)).step("payments").owner
    assert owner is not None
    assert (owner.how, owner.source) == ("marked", "loans")
    found = {d.labels.dataset: d.rows for d in _access(club, sessions, keyring).datasets}
    # Paid for her loan, whoever paid: the map says a payment belongs to the loan's member.
    assert sorted(r["payment_id"] for r in found["payments"]) == [100, 101]
