"""Filtering a marketing audience: who in a list of contacts may be contacted.

Set-based, for lists of millions: identity values are normalised column by column and
hashed once each; the ledger's relevant events and the suppression list are each read in one
query; the same `reason_for` as a single check decides the few contacts that have events,
and one answer serves all the others. The suppression list is checked last, for the
contacts that would otherwise be reached (so `excluded["suppressed"]` counts the people it
removed). Nothing is stored.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import chain, compress, filterfalse, islice, repeat
from operator import lt
from typing import Any, cast

from sqlalchemy.orm import Session

from lawful.consent import repository
from lawful.consent.errors import ConsentInputError
from lawful.consent.models import SubjectKind
from lawful.consent.policy import ConsentPolicy, PurposeRule, policy_for
from lawful.consent.repository import EventFact
from lawful.consent.rules import ALLOWED, latest, reason_for
from lawful.consent.service import (
    SUBJECT_CONTEXT,
    AudienceResult,
    contact_channel,
    purpose_rule,
)
from lawful.consent.subjects import normalise_subject
from lawful.datamap.models import DataMap
from lawful.engine.identity import normalise_emails
from lawful.store.crypto import DecryptionError, Keyring
from lawful.store.models import utcnow

MAX_PROBLEMS = 20  # malformed contacts listed in the refusal; the count covers all of them
# The address a channel needs: an email for email, a phone number for SMS and calls.
CHANNEL_KIND = {"email": SubjectKind.email, "sms": SubjectKind.phone, "phone": SubjectKind.phone}
_MAX_VALUE = 320  # RFC 5321 §4.5.3.1
_E164 = re.compile(r"\+[1-9]\d{7,14}")  # ITU-T E.164, as lawful.engine.phone accepts it

Contact = Mapping[str, object]
Column = tuple[list[int], list[str]]  # positions in the list, normalised values


def filter_audience(
    session: Session,
    *,
    datamap: DataMap,
    keyring: Keyring,
    contacts: Sequence[Contact],
    purpose: str,
    channel: str,
    now: datetime | None = None,
) -> AudienceResult:
    """The contacts that may be reached for `purpose` on `channel`, with consent,
    preferences, objections and the suppression list applied. A malformed contact refuses
    the whole list (with the positions at fault), so no partial audience goes out."""
    policy = policy_for(datamap)
    rule = purpose_rule(policy, purpose)
    contact_channel(channel)
    columns = _columns(contacts, policy)
    total = len(contacts)
    matches = _events(session, columns, rule.id, channel, keyring)
    moment = now or utcnow()
    reconsent = (
        repository.reconsent_after(session, purpose=rule.id, now=moment)
        if rule.consent_based
        else None
    )
    judge = _Judge(rule, channel, reconsent, moment)
    whole = {kind for kind, (positions, _) in columns.items() if _whole(positions, total)}
    reachable = _reachable(columns, channel, total, whole)
    result = matches.decide(judge, reachable=reachable, total=total)
    return _without_suppressed(session, result, columns, policy, rule, keyring, whole)


def _reachable(
    columns: dict[str, Column], channel: str, total: int, whole: set[str]
) -> Sequence[int]:
    """Positions that hold the address the channel needs (any contact, for post or web),
    in order."""
    needed = CHANNEL_KIND.get(channel)
    if needed is None:
        return range(total)
    if needed not in columns:
        return []
    positions = columns[needed][0]
    return range(total) if needed in whole else sorted(set(positions))


def _whole(positions: list[int], total: int) -> bool:
    """Whether `positions` is exactly 0, 1, … total - 1 (every contact, once, in order)."""
    return len(positions) == total and all(map(lt, positions, islice(positions, 1, None)))


# --- events --------------------------------------------------------------------------------------


class _Matches:
    """The ledger's latest rows per subject (blind index) about the purpose and about the
    channel as a whole, and which contacts are which subjects. Each subject is judged once,
    however many contacts name it; a contact naming two subjects (an email and a phone number
    filed apart) is judged on the latest choice made under either."""

    def __init__(
        self, purposes: dict[str, Sequence[Any]], channels: dict[str, Sequence[Any]]
    ) -> None:
        self.purposes, self.channels = purposes, channels
        self.subject: dict[int, str] = {}  # position → the first subject it matched
        self.more: dict[int, list[str]] = {}  # position → every subject, when two or more

    def add(self, positions: Iterable[int], indexes: Iterable[str]) -> None:
        if not self.subject:
            self.subject.update(zip(positions, indexes, strict=True))  # the first column: in C
            return
        subject, more = self.subject, self.more
        for position, index in zip(positions, indexes, strict=True):
            first = subject.setdefault(position, index)
            if first != index:
                more.setdefault(position, [first]).append(index)

    def _facts(self, indexes: Iterable[str]) -> tuple[EventFact | None, EventFact | None]:
        purpose: EventFact | None = None
        channel: EventFact | None = None
        for index in indexes:
            if (row := self.purposes.get(index)) is not None:
                purpose = latest(purpose, repository.fact_of(row))
            if (row := self.channels.get(index)) is not None:
                channel = latest(channel, repository.fact_of(row))
        return purpose, channel

    def _verdict(self, judge: _Judge, index: str, memo: dict[tuple[object, ...], str]) -> str:
        """`judge` for one subject. A subject with only one of the two rows is judged on the
        few fields `reason_for` reads from it, and subjects alike share that answer: the
        state alone for a channel preference; for an event about the purpose, its state,
        expiry and, if a material notice change asks for consent again, its time. Both rows:
        their order counts too, judged in full."""
        purpose, channel = self.purposes.get(index), self.channels.get(index)
        if purpose is not None and channel is not None:
            return judge(*self._facts((index,)))
        if purpose is None:
            assert channel is not None
            key: tuple[object, ...] = ("channel", channel[4])
        else:
            moment = purpose[1] if judge.reconsent is not None else None
            key = ("purpose", purpose[4], purpose[5], moment)
        verdict = memo.get(key)
        if verdict is None:
            verdict = memo[key] = judge(*self._facts((index,)))
        return verdict

    def decide(self, judge: _Judge, *, reachable: Sequence[int], total: int) -> AudienceResult:
        """Contacts with events by their subjects' answers; all the others share one."""
        excluded: Counter[str] = Counter()
        if len(reachable) < total:
            excluded["no_address_for_channel"] = total - len(reachable)
        memo: dict[tuple[object, ...], str] = {}
        verdicts = {
            index: self._verdict(judge, index, memo) for index in set(self.subject.values())
        }
        reasons = {position: verdicts[index] for position, index in self.subject.items()}
        for position, indexes in self.more.items():
            reasons[position] = judge(*self._facts(indexes))
        if not isinstance(reachable, range) or len(reachable) < total:
            wanted = set(reachable)
            reasons = {p: r for p, r in reasons.items() if p in wanted}
        counts = Counter(reasons.values())
        default = judge(None, None)
        if default in ALLOWED:
            barred = {p for p, r in reasons.items() if r not in ALLOWED}
            allowed = list(filterfalse(barred.__contains__, reachable))
        else:
            allowed = sorted(p for p, r in reasons.items() if r in ALLOWED)
            if ordinary := len(reachable) - len(reasons):
                excluded[default] += ordinary
        for reason, count in counts.items():
            if reason not in ALLOWED:
                excluded[reason] += count
        return AudienceResult(allowed=allowed, excluded=dict(excluded))


def _events(
    session: Session, columns: dict[str, Column], purpose: str, channel: str, keyring: Keyring
) -> _Matches:
    purposes, channels = repository.latest_audience_events(
        session, purpose=purpose, channel=channel
    )
    rows = channels | purposes  # one row per subject, for its sealed identity
    opened = (
        _opened(rows, keyring) if len(rows) < sum(len(v) for _, v in columns.values()) else None
    )
    matches = _Matches(purposes, channels)
    for kind, (positions, values) in columns.items():
        matches.add(
            *(
                _by_value(opened.get(kind, {}), positions, values)
                if opened is not None
                else _by_digest(rows.keys(), kind, positions, values, keyring.blind_index)
            )
        )
    return matches


def _opened(
    rows: Mapping[str, Sequence[Any]], keyring: Keyring
) -> dict[str, dict[str, str]] | None:
    """Kind → identity value → blind index of the subjects with events, from their sealed
    identities (the plaintext of the index, `kind:value`): when the ledger holds fewer
    subjects than the list has contacts, opening them is cheaper than hashing every contact.
    None if one cannot be opened (sealed under an older key): the contacts are hashed then."""
    indexes = list(rows)
    try:
        keys = keyring.decrypt_many([rows[i][8] for i in indexes], context=SUBJECT_CONTEXT)
    except DecryptionError:
        return None
    opened: dict[str, dict[str, str]] = {}
    for index, key in zip(indexes, keys, strict=True):
        kind, _, value = key.decode().partition(":")
        opened.setdefault(kind, {})[value] = index
    return opened


def _by_value(
    lookup: Mapping[str, str], positions: list[int], values: list[str]
) -> tuple[Iterable[int], Iterable[str]]:
    """(positions, blind indexes) of the contacts whose value has events, in C: most have none."""
    hits = list(map(lookup.__contains__, values))
    return compress(positions, hits), map(lookup.__getitem__, compress(values, hits))


def _by_digest(
    indexes: Iterable[str], kind: str, positions: list[int], values: list[str], key: bytes
) -> tuple[Iterable[int], Iterable[str]]:
    known = {bytes.fromhex(index): index for index in indexes}
    digests = hmac_digests(key, prefix=f"{kind}:", values=values)
    hits = list(map(known.__contains__, digests))
    return compress(positions, hits), map(known.__getitem__, compress(digests, hits))


class _Judge:
    """`reason_for` for one purpose, channel and moment (no suppression: checked after)."""

    def __init__(
        self, rule: PurposeRule, channel: str, reconsent: datetime | None, now: datetime
    ) -> None:
        self.rule, self.channel, self.reconsent, self.now = rule, channel, reconsent, now
        self.total = 0

    def __call__(self, purpose_event: EventFact | None, channel_event: EventFact | None) -> str:
        reason, _ = reason_for(
            self.rule,
            channel=self.channel,
            suppressed=False,
            purpose_event=purpose_event,
            channel_event=channel_event,
            reconsent_after=self.reconsent,
            now=self.now,
        )
        return reason


# --- the suppression list ------------------------------------------------------------------------


def _without_suppressed(
    session: Session,
    result: AudienceResult,
    columns: dict[str, Column],
    policy: ConsentPolicy,
    rule: PurposeRule,
    keyring: Keyring,
    whole: set[str],
) -> AudienceResult:
    """Take out the allowed contacts an erasure or an objection put on the suppression list
    (marketing purposes only, GDPR Art. 21(3)); only their values are hashed."""
    listed = _suppression_list(session, policy, rule)
    if not listed or not result.allowed:
        return result
    allowed: set[int] | None = None
    suppressed: set[int] = set()
    for kind, (positions, values) in columns.items():
        if kind in whole:  # every contact has this identity: pick the allowed ones
            wanted_positions = result.allowed
            wanted_values = list(map(values.__getitem__, wanted_positions))
        else:
            allowed = set(result.allowed) if allowed is None else allowed
            hits = list(map(allowed.__contains__, positions))
            wanted_positions = list(compress(positions, hits))
            wanted_values = list(compress(values, hits))
        for identity_type in policy.suppression_types.get(kind, (kind,)):
            hashes = {bytes.fromhex(h) for h in listed.get(identity_type, ())}
            if not hashes:
                continue  # hash only for the identity types someone is suppressed under
            digests = hmac_digests(
                keyring.suppression, prefix=f"{identity_type}:", values=wanted_values
            )
            suppressed.update(compress(wanted_positions, map(hashes.__contains__, digests)))
    if not suppressed:
        return result
    excluded = {
        **result.excluded,
        "suppressed": result.excluded.get("suppressed", 0) + len(suppressed),
    }
    return AudienceResult(
        allowed=list(filterfalse(suppressed.__contains__, result.allowed)), excluded=excluded
    )


def _suppression_list(
    session: Session, policy: ConsentPolicy, rule: PurposeRule
) -> dict[str, set[str]]:
    """Identity type → keyed hashes on the suppression list (marketing purposes only)."""
    if not rule.marketing:
        return {}
    types = {t for kinds in policy.suppression_types.values() for t in kinds}
    return repository.suppressed_hashes(session, identity_types=types)


def hmac_digests(key: bytes, *, prefix: str, values: list[str]) -> list[bytes]:
    """HMAC-SHA-256 (RFC 2104) of `prefix + value` for each value, as raw digests: the bytes
    of `Keyring.index` / `suppression_hash` with the same key. For millions of values: the
    padded key and the prefix are hashed once, values are encoded in one call, and no hex
    text is made."""
    block = (
        key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    )
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block) + prefix.encode())
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    digests: list[bytes] = []
    add, inner_copy, outer_copy = digests.append, inner.copy, outer.copy
    for message in _encoded(values):
        digest = inner_copy()
        digest.update(message)
        result = outer_copy()
        result.update(digest.digest())
        add(result.digest())
    return digests


def _encoded(values: list[str]) -> list[bytes]:
    """UTF-8 of each value: in one call when no value holds a line break (normalised ones
    never do), else one by one."""
    joined = "\n".join(values)
    if len(values) > 1 and joined.count("\n") == len(values) - 1:
        return joined.encode().split(b"\n")
    return [value.encode() for value in values]


# --- contacts ------------------------------------------------------------------------------------


def _columns(contacts: Sequence[Contact], policy: ConsentPolicy) -> dict[str, Column]:
    """Identity values by kind, worked out column by column; refuses the whole list, naming
    every position at fault, if any contact is malformed."""
    all_dicts = set(map(type, contacts)) <= {dict}  # JSON objects: no Python loop below
    rows: Sequence[Contact | None] = (
        contacts
        if all_dicts
        else [c if type(c) is dict or isinstance(c, Mapping) else None for c in contacts]
    )
    problems = [
        (p, 'a contact is an object like {"email": "…"}') for p, r in enumerate(rows) if r is None
    ]
    keys = set(
        chain.from_iterable(cast(Sequence[Contact], rows))
        if all_dicts
        else chain.from_iterable(r for r in rows if r is not None)
    )
    present = keys & policy.identity_kinds.keys()
    columns: dict[str, Column] = {}
    uncovered: set[int] | None = None  # made only if no identity type covers every contact
    for key in sorted(present):
        raw = (
            list(map(dict.get, cast(Sequence[dict[str, object]], rows), repeat(key)))
            if all_dicts
            else [r.get(key) if r is not None else None for r in rows]
        )
        positions, values = _normalised_column(key, raw, policy, problems)
        target = columns.setdefault(policy.identity_kinds[key], ([], []))
        target[0].extend(positions)
        target[1].extend(values)
        if len(positions) == len(rows):
            uncovered = set()  # one key's positions are distinct: every contact has it
        elif uncovered is None or uncovered:
            uncovered = set(range(len(rows))) if uncovered is None else uncovered
            uncovered.difference_update(positions)
    uncovered = set(range(len(rows))) if uncovered is None else uncovered
    uncovered.difference_update(p for p, _ in problems)
    known = ", ".join(sorted(policy.identity_kinds))
    problems += [
        (p, f"no identity: give at least one of {known}")
        for p in sorted(uncovered)
        if rows[p] is not None
    ]
    if problems:
        raise _refusal(sorted(problems))
    return columns


def _normalised_column(
    key: str, raw: list[object], policy: ConsentPolicy, problems: list[tuple[int, str]]
) -> Column:
    """One identity type's values, normalised; problems are added, not raised. Email
    addresses, the bulk of an audience, go through in one pass when all are well formed."""
    if None in raw:
        positions = [p for p, v in enumerate(raw) if v is not None]
        texts = [raw[p] for p in positions]
    else:  # every contact has this identity: the common case for the audience's email
        positions, texts = list(range(len(raw))), raw
    if policy.identity_kinds[key] == SubjectKind.email and set(map(type, texts)) <= {str}:
        emails = _emails(cast(list[str], texts))
        if emails is not None:
            return positions, emails
    # Numbers already in E.164 are their own normal form (`to_e164`): one pass in C.
    if (
        policy.identity_kinds[key] == SubjectKind.phone
        and set(map(type, texts)) <= {str}
        and all(map(_E164.fullmatch, cast(list[str], texts)))
    ):
        return positions, cast(list[str], list(texts))
    good: Column = ([], [])
    for position, value in zip(positions, texts, strict=True):
        try:
            if not isinstance(value, str):
                raise ConsentInputError(f"`{key}` must be a string")
            good[1].append(normalise_subject(key, value, policy=policy).value)
            good[0].append(position)
        except ConsentInputError as error:
            problems.append((position, error.message))
    return good


def _emails(texts: list[str]) -> list[str] | None:
    """`normalise_email` of each address in one pass, or None if any is malformed or too
    long (then each is looked at alone, to name the ones at fault)."""
    try:
        emails = normalise_emails(texts)
    except ValueError:
        return None
    return emails if max(map(len, emails), default=0) <= _MAX_VALUE else None


def _refusal(problems: list[tuple[int, str]]) -> ConsentInputError:
    shown = "; ".join(f"contact {p}: {message}" for p, message in problems[:MAX_PROBLEMS])
    more = f" (and {len(problems) - MAX_PROBLEMS} more)" if len(problems) > MAX_PROBLEMS else ""
    return ConsentInputError(
        f"{len(problems)} malformed contact(s), nothing was filtered: {shown}{more}",
        field="contacts",
    )
