"""What a person (or staff, for a request that came by mail, phone or post) sends, checked in
full before anything is stored: a bad value is refused with the field it is about, and a
request is never stored half-way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lawful.datamap.models import DataMap
from lawful.engine.errors import EngineError
from lawful.engine.identity import identity_types, normalise_email, normalise_identity
from lawful.engine.phone import PhoneNumberError, to_e164
from lawful.engine.rectification import parse_corrections
from lawful.law.jurisdictions import JurisdictionError, applicable_jurisdictions
from lawful.law.requests import RequestType
from lawful.requests.errors import InvalidInputError, RequestError
from lawful.requests.identity import PersonIdentity
from lawful.requests.verification import Upload, check_document

CHANNELS = ("web", "api", "email", "phone", "post", "agent")
MAX_NAME = 200
MAX_ADDRESS = 500
MAX_MESSAGE = 5000
MAX_REGION = 8


@dataclass(frozen=True)
class Intake:
    """A new request as received at the edge (form, JSON, staff entry), not yet checked."""

    request_type: str
    email: str
    country: str
    region: str | None = None
    phone: str | None = None
    name: str | None = None
    address: str | None = None
    identifiers: Mapping[str, str] = field(default_factory=dict)
    message: str | None = None
    corrections: Mapping[str, str] = field(default_factory=dict)
    purpose: str | None = None
    channel: str = "web"
    document: Upload | None = None
    # An authorized agent's request (11 CCR §7063): the agent's name, and whether the agent
    # attests it verified the person's email (then no code is sent to the person).
    agent: str | None = None
    agent_verified: bool = False


@dataclass(frozen=True)
class CheckedIntake:
    request_type: RequestType
    person: PersonIdentity
    country: str
    region: str | None
    channel: str
    details: dict[str, object]
    document: tuple[str, bytes] | None  # real content type, bytes
    agent: str | None = None
    agent_verified: bool = False


def check_intake(intake: Intake, *, datamap: DataMap) -> CheckedIntake:
    """Every field checked; InvalidInputError (or UploadRejectedError) names the first that is wrong."""
    request_type = _request_type(intake.request_type)
    country, region = _residence(intake, datamap)
    person = PersonIdentity(
        email=_email(intake.email),
        phone=_phone(intake.phone, country),
        name=_text(intake.name, "name", MAX_NAME),
        address=_text(intake.address, "address", MAX_ADDRESS),
        identifiers=_identifiers(intake.identifiers, datamap),
    )
    if intake.channel not in CHANNELS:
        raise InvalidInputError(
            f"Unknown channel {intake.channel!r}; use one of: {', '.join(CHANNELS)}.",
            field="channel",
        )
    details = _details(intake, request_type, datamap)
    document = None
    if intake.document is not None:
        document = (check_document(intake.document), intake.document.data)
    return CheckedIntake(
        request_type,
        person,
        country,
        region,
        intake.channel,
        details,
        document,
        agent=intake.agent,
        agent_verified=intake.agent is not None and intake.agent_verified,
    )


def intake_problems(intake: Intake, *, datamap: DataMap) -> dict[str, str]:
    """Every field that is wrong, each with its message (field → message), checked one by
    one: a form shows them all at once rather than the first. Empty when `check_intake`
    would pass its field checks."""
    problems: dict[str, str] = {}

    def check(run: Callable[[], object]) -> None:
        try:
            run()
        except RequestError as error:
            problems.setdefault(error.field or "form", error.message)

    check(lambda: _request_type(intake.request_type))
    check(lambda: _email(intake.email))
    check(lambda: _residence(intake, datamap))
    country = intake.country.strip().upper()
    check(lambda: _phone(intake.phone, country))
    check(lambda: _text(intake.name, "name", MAX_NAME))
    check(lambda: _text(intake.address, "address", MAX_ADDRESS))
    check(lambda: _identifiers(intake.identifiers, datamap))
    if "type" not in problems:
        check(lambda: _details(intake, _request_type(intake.request_type), datamap))
    document = intake.document
    if document is not None:
        check(lambda: check_document(document))
    return problems


def _request_type(raw: str) -> RequestType:
    try:
        return RequestType(raw.strip())
    except ValueError:
        known = ", ".join(t.value for t in RequestType)
        raise InvalidInputError(
            f"{raw!r} is not a request type. Use one of: {known}.", field="type"
        ) from None


def _email(raw: str) -> str:
    try:
        return normalise_email(raw)
    except ValueError:
        raise InvalidInputError(
            "This is not an email address: write it as name@example.org.", field="email"
        ) from None


def _phone(raw: str | None, country: str) -> str | None:
    if raw is None or not raw.strip():
        return None
    try:
        return to_e164(raw, default_country=country)
    except PhoneNumberError:
        raise InvalidInputError(
            "This is not a phone number: write it in international form, like +33612345678.",
            field="phone",
        ) from None


def _text(raw: str | None, name: str, limit: int) -> str | None:
    if raw is None or not raw.strip():
        return None
    text = " ".join(raw.split())
    if len(text) > limit or not text.isprintable():
        raise InvalidInputError(
            f"The {name} must be at most {limit} printable characters.", field=name
        )
    return text


def _residence(intake: Intake, datamap: DataMap) -> tuple[str, str | None]:
    region = _text(intake.region, "region", MAX_REGION)
    try:
        applicable_jurisdictions(
            organization=datamap.organization,
            residence_country=intake.country,
            residence_region=region,
        )
    except JurisdictionError as error:
        raise InvalidInputError(str(error), field="country") from None
    country = intake.country.strip().upper()
    return ("GB" if country == "UK" else country), (region.upper() if region else None)


def _identifiers(raw: Mapping[str, str], datamap: DataMap) -> dict[str, str]:
    """Other identity values (customer number, …): only types the map declares."""
    wanted = {k.strip(): v for k, v in raw.items() if v and v.strip()}
    wanted.pop("email", None)
    wanted.pop("phone", None)
    if not wanted:
        return {}
    declared = identity_types(datamap)
    unknown = sorted(set(wanted) - set(declared))
    if unknown:
        raise InvalidInputError(
            f"Unknown identifier {', '.join(unknown)}; this organisation knows: "
            f"{', '.join(sorted(declared))}.",
            field="identifiers",
        )
    try:
        identity = normalise_identity(list(wanted.items()), datamap=datamap)
    except EngineError as error:
        raise InvalidInputError(str(error.problems[0].message), field="identifiers") from None
    return dict(identity.values)


def _details(intake: Intake, request_type: RequestType, datamap: DataMap) -> dict[str, object]:
    details: dict[str, object] = {}
    message = _multiline(intake.message)
    if message:
        details["message"] = message
    if intake.corrections:
        if request_type is not RequestType.rectification:
            raise InvalidInputError(
                "Corrections go with a rectification request.", field="corrections"
            )
        pairs = [f"{target}={value}" for target, value in intake.corrections.items()]
        try:
            parse_corrections(pairs, datamap=datamap)
        except EngineError as error:
            raise InvalidInputError(str(error.problems[0]), field="corrections") from None
        details["corrections"] = dict(intake.corrections)
    if request_type is RequestType.rectification and not (intake.corrections or message):
        raise InvalidInputError(
            "Say what is wrong and what it should be, so we can correct it.", field="corrections"
        )
    if intake.purpose:
        if intake.purpose not in datamap.purposes:
            raise InvalidInputError(
                f"{intake.purpose!r} is not one of our purposes; see the privacy notice.",
                field="purpose",
            )
        details["purpose"] = intake.purpose
    return details


def _multiline(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if len(text) > MAX_MESSAGE or not all(c.isprintable() or c in "\r\n\t" for c in text):
        raise InvalidInputError(
            f"The message must be at most {MAX_MESSAGE} printable characters.", field="message"
        )
    return text
