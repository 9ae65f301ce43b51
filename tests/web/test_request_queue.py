"""The queue staff work from: search by reference, email or name through blind indexes,
filters and order, assignees, sealed notes, bulk decisions the law allows, the CSV export.
Hostile searches get a clear answer, never a match of everything or a traceback."""

from __future__ import annotations

import csv
import io
import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import delete, select, update

from lawful.auth.models import Role, StaffUser
from lawful.auth.service import create_user
from lawful.requests.intake import Intake
from lawful.requests.models import RequestNameToken, RequestNote, RightsRequest
from lawful.requests.service import confirm_identity, submit_request
from lawful.requests.states import RequestStatus
from lawful.store.audit import AuditEntry

from .conftest import PASSWORD, TestClient, Web, csrf


def _request(
    web: Web,
    *,
    email: str = "bo@people.example",
    name: str | None = None,
    country: str = "GR",
    region: str | None = None,
    request_type: str = "erasure",
    confirm: bool = True,
) -> str:
    ctx = web.platform.requests
    with web.platform.sessions() as session:
        intake = Intake(request_type=request_type, email=email, country=country, region=region,
                        name=name)  # fmt: skip
        reference = submit_request(session, ctx=ctx, intake=intake).request.reference
        if confirm:
            confirm_identity(session, ctx=ctx, reference=reference, actor="test")
        session.commit()
    web.settle()
    return reference


def _stored(web: Web, reference: str) -> RightsRequest:
    with web.platform.sessions() as session:
        return session.scalars(
            select(RightsRequest).where(RightsRequest.reference == reference)
        ).one()


def _audit(web: Web, action: str) -> list[AuditEntry]:
    with web.platform.sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _browsers(web: Web, role: Role, count: int) -> list[TestClient]:
    """`count` browsers, each signed in as a staff member of its own with `role`, named
    "<role> <i>"."""
    browsers = []
    for i in range(count):
        browser = web.browser()
        email = f"{role.value}-{i}@staff.example"
        with web.platform.sessions() as session:
            create_user(session, keyring=web.platform.keyring, email=email,
                        name=f"{role.value} {i}", role=role, password=PASSWORD, actor="test")  # fmt: skip
            session.commit()
        assert web.sign_in(email, client=browser).status_code == 303
        browsers.append(browser)
    return browsers


def _search(browser: TestClient, q: str, **filters: str) -> str:
    response = browser.get("/admin/requests", params={"q": q, **filters})
    assert response.status_code == 200, response.text
    return str(response.text)


# --- search --------------------------------------------------------------------------------------


def test_staff_find_a_request_by_reference_email_or_name_without_them_in_clear(web: Web) -> None:
    elodie = _request(web, email="Elodie.Martin@People.example", name="Élodie  Martin-Dupré")
    other = _request(web, email="zoe@people.example", name="Zoë Bernard")
    auditor = web.signed_in(Role.auditor)
    # By reference: exact, by its first characters, in any case.
    assert elodie in _search(auditor, elodie)
    assert other not in _search(auditor, elodie)
    assert elodie in _search(auditor, elodie[:5].lower())
    # By email, whatever its case and spaces around it.
    found = _search(auditor, "  ELODIE.martin@people.EXAMPLE ")
    assert elodie in found
    assert other not in found
    # By name: accents stripped, case folded, words in any order, hyphens split.
    for typed in ("elodie", "ÉLODIE", "martin elodie", "dupre", "Elodie Martin-Dupre"):
        text = _search(auditor, typed)
        assert elodie in text, typed
        assert other not in text, typed
    assert other in _search(auditor, "zoe bernard")
    # A word that is not in the name, and a start of a name, find nothing.
    assert elodie not in _search(auditor, "elodie smith")
    assert elodie not in _search(auditor, "elo")
    # The masked email is shown, never the address.
    page = _search(auditor, "elodie")
    assert "elodie.martin@people.example" not in page.lower()
    assert "e•••@p•••.example" in page
    # The store holds no name in clear: only blind indexes of its words.
    with web.platform.sessions() as session:
        tokens = session.scalars(select(RequestNameToken.token_index)).all()
    assert len(tokens) >= 5
    assert not any("elodie" in t for t in tokens)


HOSTILE = [
    "' OR 1=1 --",
    "%",
    "_",
    "%%@%%",
    "\\",
    "*",
    "'; DROP TABLE rights_requests; --",
    "😀 🏳️‍🌈",
    "‮gnp.exe",
    "Ω≈ç√∫",
    "A" * 16,
    "a@b",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_searches_match_nothing_and_break_nothing(web: Web, hostile: str) -> None:
    reference = _request(web, name="Bo Diddley")
    auditor = web.signed_in(Role.auditor)
    text = _search(auditor, hostile)
    assert reference not in text
    assert "0 requests" in text
    assert reference in _search(auditor, "")  # the table is still there


def test_a_search_too_long_or_with_a_nul_is_refused_saying_how_to_search(web: Web) -> None:
    reference = _request(web, name="Bo Diddley")
    auditor = web.signed_in(Role.auditor)
    long = auditor.get("/admin/requests", params={"q": "é" * 10_000})
    assert long.status_code == 422
    assert "10000 characters long" in long.text
    assert "at most 200" in long.text
    assert reference not in long.text
    nul = auditor.get("/admin/requests", params={"q": "bo\x00diddley"})
    assert nul.status_code == 422
    assert "control character" in nul.text
    many = auditor.get("/admin/requests", params={"q": " ".join(f"w{i}" for i in range(40))})
    assert many.status_code == 422
    assert "words" in many.text
    bad_sort = auditor.get("/admin/requests", params={"sort": "respond_by; --"})
    assert bad_sort.status_code == 422
    assert "Unknown order" in bad_sort.text
    bad_law = auditor.get("/admin/requests", params={"jurisdiction": "mars"})
    assert bad_law.status_code == 422
    assert "Unknown law" in bad_law.text
    assert "Traceback" not in long.text + nul.text + bad_sort.text


def test_requests_stored_before_the_name_index_are_found_once_indexed(web: Web) -> None:
    reference = _request(web, name="Ørjan Ås")
    with web.platform.sessions() as session:  # as the migration leaves an older request
        request = session.scalars(
            select(RightsRequest).where(RightsRequest.reference == reference)
        ).one()
        request.name_tokens = []
        request.name_tokens_ready = False
        session.commit()
    auditor = web.signed_in(Role.auditor)
    found = _search(auditor, "orjan as")
    assert reference in found
    assert _stored(web, reference).name_tokens_ready


def test_two_first_searches_index_older_names_once_between_them(web: Web) -> None:
    references = [
        _request(web, email=f"p{i}@people.example", name=f"Ana Lúcia {i}") for i in range(6)
    ]
    with web.platform.sessions() as session:
        session.execute(update(RightsRequest).values(name_tokens_ready=False))
        session.execute(delete(RequestNameToken))
        session.commit()
    browsers = _browsers(web, Role.auditor, 4)
    with ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(lambda b: b.get("/admin/requests", params={"q": "lucia"}), browsers))
    assert all(p.status_code == 200 for p in pages), [p.status_code for p in pages]
    assert all(r in _search(browsers[0], "ana lucia") for r in references)
    with web.platform.sessions() as session:
        tokens = session.scalars(select(RequestNameToken)).all()
    assert len(tokens) == 6 * 3  # ana, lucia, the number: each once per request


def test_filters_by_law_deadline_and_assignee_and_orders(web: Web) -> None:
    greek = _request(web, email="gr@people.example")
    californian = _request(web, email="ca@people.example", country="US", region="CA")
    officer = web.signed_in(Role.privacy_officer)
    ccpa = _search(officer, "", jurisdiction="ccpa")  # applies (GDPR decides its clock)
    assert californian in ccpa
    assert greek not in ccpa
    assert greek in _search(officer, "", jurisdiction="gdpr")
    assert californian in _search(officer, "", jurisdiction="gdpr")
    assert greek not in _search(officer, "", jurisdiction="none")
    _assign(officer, greek, "me")
    mine = _search(officer, "", assignee="me")
    assert greek in mine
    assert californian not in mine
    nobody = _search(officer, "", assignee="none")
    assert californian in nobody
    assert greek not in nobody
    newest = _search(officer, "", sort="newest")
    oldest = _search(officer, "", sort="oldest")
    assert newest.index(californian) < newest.index(greek)
    assert oldest.index(greek) < oldest.index(californian)


# --- assignees and notes -------------------------------------------------------------------------


def _assign(browser: TestClient, reference: str, who: str) -> None:
    page = browser.get(f"/admin/requests/{reference}")
    answer = browser.post(f"/admin/requests/{reference}/assign",
                          data={"csrf_token": csrf(page), "assignee": who})  # fmt: skip
    assert answer.status_code == 303, answer.text


def _staff_id(web: Web, name: str) -> str:
    with web.platform.sessions() as session:
        return session.scalars(select(StaffUser.id).where(StaffUser.name == name)).one()


def test_staff_assign_and_unassign_by_name_and_the_trail_says_who(web: Web) -> None:
    reference = _request(web)
    officer = web.signed_in(Role.privacy_officer)
    with web.platform.sessions() as session:
        create_user(session, keyring=web.platform.keyring, email="ana@staff.example",
                    name="Ana Analyst", role=Role.analyst, password=PASSWORD, actor="test")  # fmt: skip
        session.commit()
    _assign(officer, reference, _staff_id(web, "Ana Analyst"))
    page = officer.get(f"/admin/requests/{reference}").text
    assert 'data-testid="assignee">Ana Analyst<' in page
    assert "Ana Analyst" in _search(officer, reference)
    _assign(officer, reference, "")
    assert 'data-testid="assignee">no one<' in officer.get(f"/admin/requests/{reference}").text
    (assigned,) = _audit(web, "request.assigned")
    assert assigned.details["assignee"] == "Ana Analyst"
    assert assigned.actor == f"staff:{_staff_id(web, Role.privacy_officer.value)}"
    (unassigned,) = _audit(web, "request.unassigned")
    assert unassigned.details["previous"] == "Ana Analyst"
    # Someone not on the staff list cannot be given the request; auditors cannot assign.
    page = officer.get(f"/admin/requests/{reference}")
    refused = officer.post(f"/admin/requests/{reference}/assign",
                           data={"csrf_token": csrf(page), "assignee": "nobody-at-all"})  # fmt: skip
    assert refused.status_code == 422
    assert "active staff" in refused.text
    auditor = web.signed_in(Role.auditor)
    page = auditor.get(f"/admin/requests/{reference}")
    assert 'action="/admin/requests/' + reference + '/assign"' not in page.text
    assert auditor.post(f"/admin/requests/{reference}/assign",
                        data={"csrf_token": csrf(page), "assignee": "me"}).status_code == 403  # fmt: skip


def test_a_note_is_sealed_shown_to_staff_with_author_and_time_and_audited(web: Web) -> None:
    reference = _request(web)
    analyst = web.signed_in(Role.analyst)
    secret = "Called her back; she asked to include the Lyon shop's CCTV."
    page = analyst.get(f"/admin/requests/{reference}")
    added = analyst.post(f"/admin/requests/{reference}/notes",
                         data={"csrf_token": csrf(page), "note": secret})  # fmt: skip
    assert added.status_code == 303
    shown = analyst.get(f"/admin/requests/{reference}").text
    assert "Lyon shop&#39;s CCTV" in shown
    assert "analyst" in shown.split("Internal notes")[1][:600]
    with web.platform.sessions() as session:
        note = session.scalars(select(RequestNote)).one()
    assert b"CCTV" not in note.body_sealed
    (entry,) = _audit(web, "request.note_added")
    assert "CCTV" not in str(entry.details)
    assert entry.details["length"] == len(secret)
    # An empty note, or one too long, is refused saying why.
    page = analyst.get(f"/admin/requests/{reference}")
    empty = analyst.post(f"/admin/requests/{reference}/notes",
                         data={"csrf_token": csrf(page), "note": "   "})  # fmt: skip
    assert empty.status_code == 422
    assert "Write the note" in empty.text
    long = analyst.post(f"/admin/requests/{reference}/notes",
                        data={"csrf_token": csrf(page), "note": "x" * 5000})  # fmt: skip
    assert long.status_code == 422
    assert "5000 characters" in long.text


# --- bulk decisions -----------------------------------------------------------------------------


def _bulk(browser: TestClient, action: str, references: list[str], **extra: str) -> str:
    page = browser.get("/admin/requests")
    data: dict[str, str | list[str]] = {"csrf_token": csrf(page), "action": action,
                                        "selected": references, **extra}  # fmt: skip
    answer = browser.post("/admin/requests/bulk", data=data)
    assert answer.status_code == 200, answer.text
    return str(answer.text)


def test_bulk_approve_does_only_what_each_request_allows_and_says_why_not(web: Web) -> None:
    ready = _request(web, email="a@people.example")
    waiting = _request(web, email="b@people.example", confirm=False)
    officer = web.signed_in(Role.privacy_officer)
    result = _bulk(officer, "approve", [ready, waiting, "NOSUCHREF"])
    web.settle()
    assert "1 of 3 approved" in result
    assert f"{ready}</span>: approved" in result
    assert "NOSUCHREF</span>: no request has this reference" in result
    assert _stored(web, ready).status is not RequestStatus.verified
    assert _stored(web, waiting).status in (RequestStatus.received, RequestStatus.verifying)
    assert len(_audit(web, "request.approved")) == 1
    (summary,) = _audit(web, "requests.bulk_decided")
    assert summary.details["done"] == [ready]
    assert set(summary.details["refused"]) == {waiting, "NOSUCHREF"}


def test_bulk_extension_needs_a_reason_and_is_allowed_once(web: Web) -> None:
    first = _request(web, email="g@people.example")
    second = _request(web, email="c@people.example", country="US", region="CA")
    officer = web.signed_in(Role.privacy_officer)
    no_reason = _bulk(officer, "extend", [first])
    assert "0 of 1 extended" in no_reason
    assert "reasons for the extension" in no_reason
    before = {r: _stored(web, r).respond_by for r in (first, second)}
    done = _bulk(officer, "extend", [first, second], months="2", reason="Many systems.")
    # The first runs under the GDPR alone; the second, in California, may not pass the
    # CCPA's 90 days (11 CCR §7021(b)): the law's own words say so, and by how much.
    assert "1 of 2 extended" in done
    assert f"{first}</span>: extended by 2 month(s)" in done
    assert "Extend by at most 1 month" in done
    assert _stored(web, second).respond_by == before[second]
    done = _bulk(officer, "extend", [second], months="1", reason="Many systems.")
    assert "1 of 1 extended" in done
    for reference, days in ((first, 58), (second, 28)):  # to the next working day
        assert days <= (_stored(web, reference).respond_by - before[reference]).days <= days + 6
    again = _bulk(officer, "extend", [first, second], months="1", reason="More.")
    assert "0 of 2 extended" in again
    assert again.count("already extended once") == 2
    web.settle()
    assert len(_audit(web, "request.extended")) == 2


def test_a_ccpa_request_is_put_off_by_45_days_and_a_gdpr_one_by_months() -> None:
    """Which length each law gives (§1798.130(a)(2): 45 days; Art. 12(3): months)."""
    from lawful.requests.bulk import extension_amount

    assert extension_amount("ccpa", months=2) == (45, "extended by 45 days")
    assert extension_amount("gdpr", months=2) == (2, "extended by 2 month(s)")
    assert extension_amount(None, months=1) == (1, "extended by 1 month(s)")


def test_bulk_refuses_auditors_and_an_empty_selection(web: Web) -> None:
    reference = _request(web)
    auditor = web.signed_in(Role.auditor)
    page = auditor.get("/admin/requests")
    assert 'name="selected"' not in page.text
    refused = auditor.post("/admin/requests/bulk", data={"csrf_token": csrf(page),
                           "action": "approve", "selected": [reference]})  # fmt: skip
    assert refused.status_code == 403
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/requests")
    empty = officer.post(
        "/admin/requests/bulk", data={"csrf_token": csrf(page), "action": "approve"}
    )
    assert "Tick at least one request" in empty.text
    odd = officer.post("/admin/requests/bulk", data={"csrf_token": csrf(page), "action": "deny",
                       "selected": [reference]})  # fmt: skip
    assert "approve or extend" in odd.text
    assert _stored(web, reference).status is RequestStatus.verified


def test_a_bulk_decision_sent_twice_at_once_decides_each_request_once(web: Web) -> None:
    references = [_request(web, email=f"twice{i}@people.example") for i in range(4)]
    officers = _browsers(web, Role.privacy_officer, 3)
    tokens = [csrf(o.get("/admin/requests")) for o in officers]

    def send(i: int) -> str:
        data = {"csrf_token": tokens[i], "action": "approve", "selected": references}
        return str(officers[i].post("/admin/requests/bulk", data=data).text)

    with ThreadPoolExecutor(3) as pool:
        pages = list(pool.map(send, range(3)))
    web.settle()
    approved = sum(page.count("</span>: approved") for page in pages)
    assert approved == len(references)
    entries = _audit(web, "request.approved")
    assert sorted(e.details["reference"] for e in entries) == sorted(references)

    twice = [_request(web, email=f"ext{i}@people.example") for i in range(3)]

    def extend(i: int) -> str:
        data = {"csrf_token": tokens[i], "action": "extend", "selected": twice,
                "months": "1", "reason": "Busy."}  # fmt: skip
        return str(officers[i].post("/admin/requests/bulk", data=data).text)

    with ThreadPoolExecutor(3) as pool:
        pages = list(pool.map(extend, range(3)))
    web.settle()
    assert sum(page.count("extended by 1 month(s)") for page in pages) == len(twice)
    for reference in twice:
        assert len(_stored(web, reference).extensions) == 1


# --- export ---------------------------------------------------------------------------------------


def test_the_export_is_the_filtered_queue_masked_formula_safe_and_audited(web: Web) -> None:
    greek = _request(web, email="=cmd@people.example", name="Bo Diddley")
    californian = _request(web, email="ca@people.example", country="US", region="CA")
    officer = web.signed_in(Role.privacy_officer)
    with web.platform.sessions() as session:
        create_user(session, keyring=web.platform.keyring, email="evil@staff.example",
                    name="=HYPERLINK(\"http://x.example\")", role=Role.analyst,
                    password=PASSWORD, actor="test")  # fmt: skip
        session.commit()
    _assign(officer, greek, _staff_id(web, '=HYPERLINK("http://x.example")'))
    response = officer.get("/admin/requests/export.csv", params={"q": "bo diddley"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.text)))
    assert len(rows) == 2
    assert rows[1][0] == greek
    assert californian not in response.text
    assert "'=HYPERLINK" in response.text
    assert "cmd@people.example" not in response.text
    assert "=•••@p•••.example" not in rows[1]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    (entry,) = _audit(web, "requests.exported")
    assert entry.details["rows"] == 1
    assert entry.details["searched"] is True
    assert "diddley" not in str(entry.details).lower()
    everything = officer.get("/admin/requests/export.csv")
    assert greek in everything.text
    assert californian in everything.text


ODD_NAMES = [
    ("Robert'); DROP TABLE rights_requests;--", "robert"),
    ("<script>alert(1)</script> Mallory", "mallory"),
    ("Ada-Ḷọ̀vẹ́lạ́ce", "lovelace"),  # stacked combining marks (intake refuses invisible ones)
    ("Παπαδόπουλος Γιώργος", "giorgos"),
    ("ＷＩＤＥ Name", "wide"),
    ("%_% Percy", "percy"),
]


def test_names_with_hostile_characters_are_stored_sealed_and_found_by_their_words(
    web: Web,
) -> None:
    references = {}
    for i, (name, word) in enumerate(ODD_NAMES):
        references[word] = _request(web, email=f"odd{i}@people.example", name=name)
    blank = _request(web, email="blank@people.example", name="--- ...")
    auditor = web.signed_in(Role.auditor)
    for word, reference in references.items():
        page = _search(auditor, word.upper())
        assert reference in page, word
        assert "<script>alert" not in page
        assert "1 request<" in page or "1 request," in page, word
    assert _stored(web, blank).name_tokens_ready
    assert blank not in _search(auditor, "---")


def test_parallel_assignments_each_see_the_one_before(web: Web) -> None:
    """The request's row is locked while it changes hands: every assignment names the one it
    replaced, so the trail tells the whole order, whichever came first."""
    reference = _request(web)
    officers = _browsers(web, Role.analyst, 4)
    tokens = [csrf(o.get(f"/admin/requests/{reference}")) for o in officers]

    def take(i: int) -> int:
        data = {"csrf_token": tokens[i], "assignee": "me"}
        return int(officers[i].post(f"/admin/requests/{reference}/assign", data=data).status_code)

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(take, range(4))) == [303] * 4
    with web.platform.sessions() as session:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "request.assigned")
                .order_by(AuditEntry.seq)
            )
        )
    assert len(entries) == 4
    assert "previous" not in entries[0].details
    for before, after in itertools.pairwise(entries):
        assert after.details["previous"] == before.details["assignee"]
    assert len({e.details["assignee"] for e in entries}) == 4
    last = _stored(web, reference).assignee_id
    assert last == _staff_id(web, str(entries[-1].details["assignee"]))
    assert entries[-1].actor == f"staff:{last}"
