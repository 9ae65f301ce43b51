"""The console page of the authorized agents (DRP 1.0 §3.05.1), for administrators: see the
agents this business trusts, register one (or update it), remove one. Every change is
recorded in the audit trail with the staff member who made it (`lawful.interop.drp.agents`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from lawful.http.deps import Administrator, DbSession, StaffForm, staff_actor
from lawful.http.templating import render
from lawful.interop.drp import repository
from lawful.interop.drp.agents import AgentEntry, AgentError, add_agent, remove_agent

router = APIRouter(include_in_schema=False)
PAGE = "interop/drp_agents.html.j2"
Text = Annotated[str, Form(max_length=400)]


@router.get("/admin/agents", response_class=HTMLResponse)
def agents(request: Request, db: DbSession, staff: Administrator) -> HTMLResponse:
    return render(request, PAGE, _context(db))


@router.post("/admin/agents", response_class=HTMLResponse, dependencies=[StaffForm])
def register(
    request: Request,
    db: DbSession,
    staff: Administrator,
    agent_id: Annotated[str, Form(max_length=100)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    verify_key: Annotated[str, Form(max_length=64)] = "",
    technical_contact: Text = "",
    business_contact: Text = "",
    web_url: Text = "",
) -> HTMLResponse:
    """Trust an agent (or update the one with this id); a bad id or key is shown on the form."""
    entry = AgentEntry(
        id=agent_id.strip(), name=name, verify_key=verify_key.strip(),
        web_url=web_url.strip() or None, technical_contact=technical_contact.strip() or None,
        business_contact=business_contact.strip() or None,
    )  # fmt: skip
    try:
        add_agent(db, entry=entry, actor=staff_actor(staff))
    except AgentError as error:
        context = _context(db) | {"error": str(error), "entry": entry}
        return render(request, PAGE, context, status_code=422)
    db.commit()
    return render(request, PAGE, _context(db) | {"saved": entry.id}, status_code=201)


@router.post("/admin/agents/{agent_id}/remove", dependencies=[StaffForm])
def remove(db: DbSession, staff: Administrator, agent_id: str) -> RedirectResponse:
    """Forget the agent: its tokens stop working at once; its requests stay, named."""
    try:
        remove_agent(db, agent_id=agent_id, actor=staff_actor(staff))
    except AgentError:
        return RedirectResponse("/admin/agents", status_code=303)  # already gone
    db.commit()
    return RedirectResponse("/admin/agents", status_code=303)


def _context(db: Session) -> dict[str, Any]:
    return {
        "active": "agents",
        "agents": repository.list_agents(db),
        "error": None,
        "entry": None,
        "saved": None,
    }
