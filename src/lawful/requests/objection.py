"""Closing an objection request (GDPR Art. 21(1)) that staff upheld: the objection is written
to the consent ledger for the purposes it covers, so the consent check answers `objected`
for the person and each purpose (`lawful.consent.objections`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from lawful.consent.errors import ConsentInputError
from lawful.consent.objections import OBJECTABLE, object_to_purposes
from lawful.consent.subjects import Subject
from lawful.law.requests import RequestType
from lawful.requests import hooks
from lawful.requests.context import RequestsContext
from lawful.requests.errors import InvalidInputError
from lawful.requests.identity import engine_identity, open_identity
from lawful.requests.models import RightsRequest


def objectable_purposes(ctx: RequestsContext) -> list[tuple[str, str]]:
    """(id, name) of the purposes a person may object to (Art. 21(1): a public task or
    legitimate interests), for the form that closes an objection."""
    return [
        (pid, purpose.name)
        for pid, purpose in ctx.datamap.purposes.items()
        if purpose.legal_basis in OBJECTABLE
    ]


def uphold_objection(
    session: Session,
    *,
    ctx: RequestsContext,
    request: RightsRequest,
    purposes: Sequence[str],
    actor: str,
) -> int:
    """Write the upheld objection to the ledger under each of the person's contacts;
    the number of events. Raises InvalidInputError (nothing stored) for a purpose it cannot
    reach."""
    if request.request_type is not RequestType.objection:
        raise InvalidInputError(
            "only an objection request records objected purposes", field="purposes"
        )
    person = open_identity(ctx.keyring, request)
    subjects = [Subject("email", person.email).key]
    if person.phone:
        subjects.append(Subject("phone", person.phone).key)
    recorded = 0
    try:
        for subject in subjects:
            recorded += len(
                object_to_purposes(
                    session,
                    datamap=ctx.datamap,
                    keyring=ctx.keyring,
                    subject=subject,
                    purposes=list(purposes),
                    channel="web_form",
                    actor=actor,
                )
            )
    except ConsentInputError as error:
        raise InvalidInputError(error.message, field="purposes") from None
    _tell_systems(session, ctx=ctx, request=request, purposes=purposes, actor=actor)
    return recorded


def _tell_systems(
    session: Session,
    *,
    ctx: RequestsContext,
    request: RightsRequest,
    purposes: Sequence[str],
    actor: str,
) -> None:
    """An objection marker on every dataset used for an objected purpose, so the systems
    stop that processing too (the markers' hook; identities only, no record keys)."""
    objected = set(purposes)
    datasets = [
        did for did, dataset in ctx.datamap.datasets.items() if objected & set(dataset.purposes)
    ]
    if not datasets:
        return
    identity = engine_identity(open_identity(ctx.keyring, request), ctx.datamap)
    hooks.decision_made(
        session,
        datamap=ctx.datamap,
        keyring=ctx.keyring,
        identity=identity,
        keys={did: [] for did in datasets},
        kind="objection",
        reason=",".join(sorted(objected))[:40],
        lift=False,
        actor=actor,
    )
