"""The console page of a re-consent run: how far the mails are, and where each person asked
stands (to ask / asked, no answer yet / answered yes / answered no / unconfirmed / no email
address). Every staff role reads; each view that shows people's addresses is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from lawful.consent.models import AskStatus, NoticeVersion, ReconsentAsk
from lawful.consent.policy import policy_for
from lawful.consent.reconsent import answer_states, run_of, run_progress
from lawful.http.deps import CurrentStaff, DbSession, PlatformDep, staff_actor
from lawful.http.templating import render
from lawful.store.audit import record_event

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
_STATUS_WORDS = {
    AskStatus.pending: "to ask",
    AskStatus.sending: "unconfirmed: the sender stopped while mailing",
    AskStatus.no_address: "no email address: ask by another way",
    AskStatus.superseded: "asked by a later notice's mail instead",
}
_ANSWER_WORDS = {"yes": "answered yes", "no": "answered no"}


@router.get("/admin/consent/reconsent/{version}", response_class=HTMLResponse)
def reconsent_page(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: CurrentStaff,
    version: str,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    run = run_of(db, version=version[:50])
    if run is None:
        raise HTTPException(404, "no re-consent run for this notice version")
    notice = db.get(NoticeVersion, run.notice_id)
    assert notice is not None
    progress = run_progress(db, run=run)
    answers = answer_states(db, run=run, changed=notice.published_at)
    query = (
        select(ReconsentAsk)
        .where(ReconsentAsk.run_id == run.id)
        .order_by(ReconsentAsk.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    names = {pid: rule.name for pid, rule in policy_for(platform.datamap).purposes.items()}
    people: list[dict[str, Any]] = []
    for ask in db.scalars(query):
        subject = platform.keyring.decrypt(ask.subject_sealed, context="consent.subject").decode()
        if ask.status is AskStatus.mailed:
            state = _ANSWER_WORDS.get(answers.get(ask.subject_index, ""), "asked, no answer yet")
        else:
            state = _STATUS_WORDS[ask.status]
        people.append(
            {
                "subject": subject.partition(":")[2],
                "purposes": [names.get(p, p) for p in ask.purposes.split(",")],
                "state": state,
                "mailed_at": ask.mailed_at,
            }
        )
    record_event(
        db,
        actor=staff_actor(staff),
        action="consent.reconsent_viewed",
        subject_type="notice_version",
        subject_id=notice.version,
        details={"page": page, "people": len(people)},
    )
    db.commit()
    context = {
        "active": "consent",
        "notice": notice,
        "progress": progress,
        "people": people,
        "page": page,
        "pages": max(1, -(-progress.total // PAGE_SIZE)),
    }
    return render(request, "consent/admin_reconsent.html.j2", context)
