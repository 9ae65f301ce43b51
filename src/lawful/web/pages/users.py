"""Staff accounts, for administrators: the list, invitations by mail, role changes,
deactivation and reactivation, password resets by mail link, second factors removed for a
lost phone, and each person's sessions (revocable). Every change is audited by
`lawful.auth.accounts`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.auth import accounts, second_factor
from lawful.auth.errors import AuthError
from lawful.auth.models import Role, StaffSession, StaffUser
from lawful.auth.repository import all_users
from lawful.auth.roles import ROLE_TITLES
from lawful.auth.service import user_email
from lawful.http.auth import platform_of
from lawful.http.deps import Administrator, DbSession, StaffForm, WebError, staff_actor
from lawful.http.templating import render
from lawful.requests.mail import MailError
from lawful.store.models import utcnow
from lawful.web.staff_mail import send_staff_mail

router = APIRouter(include_in_schema=False)


class StaffNotFoundError(WebError):
    http_status = 404
    code = "not_found"


def mask_email(address: str) -> str:
    """`j…e@example.org`: enough to tell two people apart on a list, not to copy it."""
    local, _, domain = address.partition("@")
    shown = local[0] + "…" + (local[-1] if len(local) > 2 else "")
    return f"{shown}@{domain}"


def _row(request: Request, user: StaffUser) -> dict[str, Any]:
    keyring = platform_of(request).keyring
    state = "invited" if user.invited else ("active" if user.active else "deactivated")
    return {"user": user, "email": mask_email(user_email(keyring, user)), "state": state}


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, db: DbSession, staff: Administrator) -> HTMLResponse:
    return render(request, "admin/users.html.j2", _list_context(request, db))


def _list_context(request: Request, db: Session) -> dict[str, Any]:
    return {
        "active": "users",
        "rows": [_row(request, user) for user in all_users(db)],
        "roles": ROLE_TITLES,
        "errors": {},
        "notice": request.query_params.get("done"),
        "values": {},
    }


@router.post("/admin/users", response_class=HTMLResponse, dependencies=[StaffForm])
def invite(
    request: Request,
    db: DbSession,
    staff: Administrator,
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
    role: Annotated[str, Form(max_length=20)] = Role.analyst.value,
) -> Response:
    """Make the account (inactive) and mail its one-time invitation link."""
    platform = platform_of(request)
    values = {"name": name, "email": email, "role": role}
    try:
        chosen = _role(role)
        new = accounts.invite_user(
            db, keyring=platform.keyring, email=email, name=name, role=chosen,
            actor=staff_actor(staff), now=utcnow(),
        )  # fmt: skip
        user = db.get(StaffUser, new.link.user_id)
        assert user is not None
        context = _mail_context(request, user) | {
            "inviter": staff.name,
            "days": accounts.INVITE_LIFETIME.days,
        }
        send_staff_mail(platform.settings, "staff_invite", to=email.strip().lower(),
                        secret=new.secret, context=context)  # fmt: skip
    except AuthError as error:
        db.rollback()
        page = _list_context(request, db) | {
            "errors": {error.field or "": error.message},
            "values": values,
        }
        return render(request, "admin/users.html.j2", page, status_code=error.http_status)
    except MailError as error:
        db.rollback()
        page = _list_context(request, db) | {"errors": {"": str(error)}, "values": values}
        return render(request, "admin/users.html.j2", page, status_code=502)
    return RedirectResponse("/admin/users?done=invited", status_code=303)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise AuthError(
            f"Choose a role among: {', '.join(ROLE_TITLES[r] for r in Role)}.", field="role"
        ) from None


def _mail_context(request: Request, user: StaffUser) -> dict[str, Any]:
    organization = platform_of(request).datamap.organization
    return {
        "name": user.name,
        "organization": organization.trading_name or organization.name,
        "role": ROLE_TITLES[user.role],
    }


def _user(db: Session, user_id: str) -> StaffUser:
    user = db.get(StaffUser, user_id)
    if user is None:
        raise StaffNotFoundError("There is no staff account with this id.")
    return user


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(request: Request, db: DbSession, staff: Administrator, user_id: str) -> HTMLResponse:
    return render(request, "admin/user.html.j2", _user_context(request, db, _user(db, user_id)))


def _user_context(request: Request, db: Session, user: StaffUser) -> dict[str, Any]:
    now = utcnow()
    return _row(request, user) | {
        "active": "users",
        "roles": ROLE_TITLES,
        "sessions": accounts.live_sessions(db, user_id=user.id, now=now),
        "describe_agent": accounts.describe_agent,
        "recovery_left": second_factor.remaining_recovery_codes(db, user=user),
        "error": None,
        "notice": request.query_params.get("done"),
        "current_session": None,
        "revoke_base": f"/admin/users/{user.id}/sessions/",
    }


def _act(request: Request, db: Session, user: StaffUser, action: Any, done: str) -> Response:
    """Run an account change; a refused one shows the user's page with the reason."""
    try:
        action()
    except AuthError as error:
        db.rollback()
        db.refresh(user)
        page = _user_context(request, db, user) | {"error": error.message}
        return render(request, "admin/user.html.j2", page, status_code=error.http_status)
    return RedirectResponse(f"/admin/users/{user.id}?done={done}", status_code=303)


@router.post("/admin/users/{user_id}/role", dependencies=[StaffForm])
def change_role(
    request: Request,
    db: DbSession,
    staff: Administrator,
    user_id: str,
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    user = _user(db, user_id)
    return _act(
        request, db, user,
        lambda: accounts.change_role(db, user=user, role=_role(role), actor=staff_actor(staff)),
        "role",
    )  # fmt: skip


@router.post("/admin/users/{user_id}/deactivate", dependencies=[StaffForm])
def deactivate(request: Request, db: DbSession, staff: Administrator, user_id: str) -> Response:
    user = _user(db, user_id)
    return _act(
        request, db, user,
        lambda: accounts.deactivate(db, user=user, actor=staff_actor(staff), now=utcnow()),
        "deactivated",
    )  # fmt: skip


@router.post("/admin/users/{user_id}/reactivate", dependencies=[StaffForm])
def reactivate(request: Request, db: DbSession, staff: Administrator, user_id: str) -> Response:
    user = _user(db, user_id)
    return _act(
        request, db, user,
        lambda: accounts.reactivate(db, user=user, actor=staff_actor(staff)),
        "reactivated",
    )  # fmt: skip


@router.post("/admin/users/{user_id}/reset", dependencies=[StaffForm])
def send_reset(request: Request, db: DbSession, staff: Administrator, user_id: str) -> Response:
    """Mail a one-time link to choose a new password (or the invitation again, if pending)."""
    user = _user(db, user_id)
    platform = platform_of(request)

    def action() -> None:
        new = accounts.request_reset(db, user=user, actor=staff_actor(staff), now=utcnow())
        kind = "staff_invite" if user.invited else "staff_reset"
        context = _mail_context(request, user) | {
            "inviter": staff.name,
            "days": accounts.INVITE_LIFETIME.days,
            "minutes": int(accounts.RESET_LIFETIME.total_seconds() // 60),
        }
        try:
            send_staff_mail(platform.settings, kind, to=user_email(platform.keyring, user),
                            secret=new.secret, context=context)  # fmt: skip
        except MailError as error:
            raise AuthError(str(error)) from None

    return _act(request, db, user, action, "reset")


@router.post("/admin/users/{user_id}/two-factor/remove", dependencies=[StaffForm])
def remove_two_factor(
    request: Request, db: DbSession, staff: Administrator, user_id: str
) -> Response:
    """For a lost phone: the person enrols again at their next sign-in if their role must."""
    user = _user(db, user_id)
    return _act(
        request, db, user,
        lambda: second_factor.turn_off(db, user=user, actor=staff_actor(staff)),
        "two_factor_removed",
    )  # fmt: skip


@router.post("/admin/users/{user_id}/sessions/{session_id}/revoke", dependencies=[StaffForm])
def revoke_user_session(
    request: Request, db: DbSession, staff: Administrator, user_id: str, session_id: str
) -> Response:
    user = _user(db, user_id)
    record = db.get(StaffSession, session_id)
    if record is None or record.user_id != user.id:
        raise StaffNotFoundError("This person has no session with this id.")
    accounts.revoke_session(db, record=record, actor=staff_actor(staff), now=utcnow())
    return RedirectResponse(f"/admin/users/{user.id}?done=session_revoked", status_code=303)
