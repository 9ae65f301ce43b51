"""Lint rules over a validated data map: references, legal grounds, transfers, retention.

Each rule yields problems pointing at the value that is wrong. A map may silence a rule
with `checks: {ignore: [CODE]}`. The codes are documented in docs/checks.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator

from lawful.datamap.checks_notice import NOTICE_RULES
from lawful.datamap.graph import Edge, LinkProblem, parent_date, reference_edges
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import (
    AUTOMATED_FORWARDS,
    Category,
    DataMap,
    EraseStrategy,
    LegalBasis,
    Sensitivity,
    TransferMechanism,
)
from lawful.datamap.notify_checks import notify_problems
from lawful.datamap.problems import DataPath, Problem
from lawful.datamap.problems import Finding as Finding
from lawful.datamap.retention_checks import (
    conditions_typed,
    hand_overs,
    overlaps,
    ungoverned,
)
from lawful.datamap.screening import dpia_screening
from lawful.datamap.taxonomy import (
    all_categories,
    criminal_conditions,
    is_free_text,
    special_conditions,
    subject_types,
)
from lawful.law.transfers import VALID_MECHANISMS, is_adequate, residency_allows

Rule = Callable[[DataMap, dict[str, Category]], Iterator[Finding]]


def check_datamap(loaded: LoadedMap) -> list[Problem]:
    """Run every rule; return the problems sorted by file and line."""
    datamap = loaded.datamap
    categories = all_categories(datamap)
    return locate_findings(loaded, (f for rule in RULES for f in rule(datamap, categories)))


def locate_findings(loaded: LoadedMap, findings: Iterable[Finding]) -> list[Problem]:
    """Findings as problems at their `file:line:col`, without those the map ignores, sorted."""
    ignored = set(loaded.datamap.checks.ignore)
    problems = [
        Problem(f.code, f.message, f.hint, loaded.sources.locate_entry(f.at))
        for f in findings
        if f.code not in ignored
    ]
    return sorted(set(problems), key=Problem.sort_key)


# --- references -----------------------------------------------------------------------------


def unknown_references(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """R001–R008: every id used somewhere must be declared."""
    known = {
        "subject": set(datamap.subjects),
        "purpose": set(datamap.purposes),
        "recipient": set(datamap.recipients),
        "dataset": set(datamap.datasets),
        "system": set(datamap.systems),
        "client": set(datamap.clients),
    }

    def ref(kind: str, value: str, at: DataPath) -> Iterator[Finding]:
        if kind == "category" and value not in categories:
            yield Finding(
                "R001",
                at,
                f"unknown data category `{value}`",
                _suggest(value, categories, "categories"),
            )
        elif kind != "category" and value not in known[kind]:
            code = {
                "dataset": "R002",
                "subject": "R004",
                "purpose": "R005",
                "recipient": "R006",
                "client": "R007",
                "system": "R008",
            }[kind]
            yield Finding(
                code, at, f"unknown {kind} `{value}`", _suggest(value, known[kind], f"{kind}s")
            )

    for pid, purpose in datamap.purposes.items():
        yield from _each(ref, "subject", purpose.subjects, ("purposes", pid, "subjects"))
        yield from _each(ref, "category", purpose.categories, ("purposes", pid, "categories"))
        yield from _each(ref, "recipient", purpose.recipients, ("purposes", pid, "recipients"))
        yield from _controller(ref, purpose.controller, ("purposes", pid, "controller"))
    for did, dataset in datamap.datasets.items():
        yield from ref("system", dataset.system, ("datasets", did, "system"))
        yield from ref("subject", dataset.subject, ("datasets", did, "subject"))
        yield from _each(ref, "purpose", dataset.purposes, ("datasets", did, "purposes"))
        yield from _controller(ref, dataset.controller, ("datasets", did, "controller"))
        for name, field in dataset.fields.items():
            yield from ref(
                "category", field.category, ("datasets", did, "fields", name, "category")
            )
    for rid, recipient in datamap.recipients.items():
        yield from _each(ref, "purpose", recipient.purposes, ("recipients", rid, "purposes"))
        yield from _each(ref, "category", recipient.categories, ("recipients", rid, "categories"))
    for rule_id, rule in datamap.retention.items():
        scope = ("retention", rule_id, "applies_to")
        yield from _each(ref, "dataset", rule.applies_to.datasets, (*scope, "datasets"))
        yield from _each(ref, "subject", rule.applies_to.subjects, (*scope, "subjects"))
        yield from _each(ref, "category", rule.applies_to.categories, (*scope, "categories"))
        yield from _each(ref, "purpose", rule.applies_to.purposes, (*scope, "purposes"))
    for sid, system in datamap.systems.items():
        if system.vendor:
            yield from ref("recipient", system.vendor, ("systems", sid, "vendor"))
    for tid, tracker in datamap.trackers.items():
        if tracker.recipient:
            yield from ref("recipient", tracker.recipient, ("trackers", tid, "recipient"))


def _each(
    ref: Callable[[str, str, DataPath], Iterator[Finding]],
    kind: str,
    values: list[str],
    at: DataPath,
) -> Iterator[Finding]:
    for index, value in enumerate(values):
        yield from ref(kind, value, (*at, index))


def _controller(
    ref: Callable[[str, str, DataPath], Iterator[Finding]], controller: str, at: DataPath
) -> Iterator[Finding]:
    if controller.startswith("client:"):
        yield from ref("client", controller.removeprefix("client:"), at)


def _suggest(value: str, known: Iterable[str], section: str) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(value, names, n=1)
    if close:
        return f"did you mean `{close[0]}`?"
    return f"declare it under `{section}:` or fix the spelling"


def unknown_fields(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """R003: references, primary keys, events and retention starts must name real fields."""
    for did, dataset in datamap.datasets.items():
        for position, key in enumerate(dataset.key_fields()):
            if key not in dataset.fields:
                many = isinstance(dataset.primary_key, list)
                yield Finding(
                    "R003",
                    ("datasets", did, "primary_key", *((position,) if many else ())),
                    f"primary key `{key}` is not a field of `{did}`",
                    "list it under `fields:`, fix the name, or set `primary_key:` to the "
                    "table's real key (a list for a key over several columns)",
                )
        for event, field in dataset.events.items():
            yield from _event_field(datamap, did, event, field)
        for name, field_spec in dataset.fields.items():
            if field_spec.references is None:
                continue
            target, _, target_field = field_spec.references.to.partition(".")
            at = ("datasets", did, "fields", name, "references")
            if target not in datamap.datasets:
                yield Finding(
                    "R002",
                    at,
                    f"reference to unknown dataset `{target}`",
                    _suggest(target, set(datamap.datasets), "datasets"),
                )
            elif target_field not in datamap.datasets[target].fields:
                yield Finding(
                    "R003",
                    at,
                    f"reference to unknown field `{target}.{target_field}`",
                    f"fields of `{target}`: {', '.join(datamap.datasets[target].fields)}",
                )
            else:
                yield from _unknown_also(datamap, did, name, target)
    for rule_id, rule in datamap.retention.items():
        for did in _datasets_in_scope(datamap, rule_id):
            dataset = datamap.datasets[did]
            if rule.start not in dataset.events and rule.start not in dataset.fields:
                yield Finding(
                    "R003",
                    ("retention", rule_id, "start"),
                    f"`{rule.start}` is neither an event nor a field of dataset `{did}`",
                    f"add `events: {{{rule.start}: <date field>}}` to `{did}`",
                )


def _event_field(datamap: DataMap, did: str, event: str, field: str) -> Iterator[Finding]:
    """An event names a date field of its dataset, or `dataset.field` of the row it hangs
    off (R002, R003, R010, R011)."""
    at = ("datasets", did, "events", event)
    link = parent_date(datamap, did, field)
    if isinstance(link, LinkProblem):
        yield Finding(link.code, at, link.message, link.hint)
    elif link is None and field not in datamap.datasets[did].fields:
        yield Finding(
            "R003",
            at,
            f"event `{event}` names the unknown field `{field}`",
            f"use one of: {', '.join(datamap.datasets[did].fields)}, or `<dataset>.<field>` "
            "for a date of the row it references",
        )


def _unknown_also(datamap: DataMap, did: str, name: str, target: str) -> Iterator[Finding]:
    """The further fields of a reference over several columns must exist on both sides."""
    reference = datamap.datasets[did].fields[name].references
    for mine, theirs in (reference.also if reference else {}).items():
        missing = [
            f"`{ds}.{f}`"
            for ds, f in ((did, mine), (target, theirs))
            if f not in datamap.datasets[ds].fields
        ]
        if missing:
            yield Finding(
                "R003",
                ("datasets", did, "fields", name, "references", "also", mine),
                f"the reference names the unknown field(s) {', '.join(missing)}",
                "list each field of the key under `fields:` on both datasets",
            )


def identity_fields(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L008: an identity must name a field of its dataset."""
    for did, dataset in datamap.datasets.items():
        for identity, names in dataset.identity_fields().items():
            many = isinstance(dataset.identities[identity], list)
            for position, field in enumerate(names):
                if field not in dataset.fields:
                    yield Finding(
                        "L008",
                        ("datasets", did, "identities", identity, *((position,) if many else ())),
                        f"identity `{identity}` names the unknown field `{field}`",
                        f"use one of: {', '.join(dataset.fields)}",
                    )


# --- legal grounds --------------------------------------------------------------------------


def legal_bases(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L001, L004, L013: every purpose needs a lawful basis (GDPR Art. 6(1)) that holds up."""
    for pid, purpose in datamap.purposes.items():
        at = ("purposes", pid)
        if purpose.controller != "us":
            continue  # a processor acts on the controller's ground (GDPR Art. 28(3)(a))
        if purpose.legal_basis is None:
            yield Finding(
                "L001",
                at,
                f"purpose `{pid}` has no legal basis",
                "add `legal_basis:` (consent, contract, legal_obligation, vital_interests, public_task or legitimate_interests — GDPR Art. 6(1))",
            )
        elif purpose.legal_basis is LegalBasis.consent and not (
            purpose.consent and purpose.consent.capture
        ):
            yield Finding(
                "L004",
                (*at, "legal_basis"),
                f"purpose `{pid}` rests on consent but declares no way to capture it",
                "add `consent: {capture: [web_form]}` (how consent is collected, GDPR Art. 7(1))",
            )
        elif (
            purpose.legal_basis is LegalBasis.legitimate_interests
            and not purpose.legitimate_interest
        ):
            yield Finding(
                "L013",
                (*at, "legal_basis"),
                f"purpose `{pid}` rests on legitimate interests without saying which",
                "add `legitimate_interest:` describing it (GDPR Art. 13(1)(d))",
            )


SERVICE_BASES = (LegalBasis.contract, LegalBasis.legal_obligation)


def service_purposes(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L036: a service communication (account, security, contract notices) is sent because the
    contract (GDPR Art. 6(1)(b)) or the law (Art. 6(1)(c)) requires it, never on consent, and is
    never marketing (ePrivacy Directive Art. 13 covers marketing only): else a channel opt-out
    would have to stop it."""
    for pid, purpose in datamap.purposes.items():
        if not purpose.service:
            continue
        if purpose.legal_basis not in SERVICE_BASES:
            basis = purpose.legal_basis.value if purpose.legal_basis else "none"
            yield Finding(
                "L036",
                ("purposes", pid, "legal_basis" if purpose.legal_basis else "service"),
                f"service purpose `{pid}` rests on `{basis}`: a service communication is sent "
                "under the contract or a legal obligation",
                "set `legal_basis: contract` or `legal_basis: legal_obligation` (GDPR Art. "
                "6(1)(b), (c)), or remove `service: true` if people may switch it off",
            )
        if purpose.direct_marketing or purpose.sale or purpose.sharing:
            yield Finding(
                "L036",
                ("purposes", pid, "service"),
                f"service purpose `{pid}` is also marked as marketing, sale or sharing",
                "split it: a service purpose for account, security and contract notices, "
                "and a marketing purpose people can switch off",
            )


def sensitive_conditions(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L002/L003: special categories need an Art. 9(2) condition, criminal data an Art. 10 one."""
    rules = (
        (
            Sensitivity.special,
            "L002",
            "special_condition",
            special_conditions(),
            "an Art. 9(2) condition",
        ),
        (
            Sensitivity.criminal,
            "L003",
            "criminal_condition",
            criminal_conditions(),
            "an Art. 10 authorisation",
        ),
    )
    for sensitivity, code, attr, allowed, what in rules:
        for pid, purpose in datamap.purposes.items():
            condition = getattr(purpose, attr)
            if condition is not None and condition not in allowed:
                yield Finding(
                    "R009",
                    ("purposes", pid, attr),
                    f"unknown condition `{condition}`",
                    f"use one of: {', '.join(allowed)}",
                )
            for index, cid in enumerate(purpose.categories):
                if _sensitivity(cid, categories) is sensitivity and condition is None:
                    yield Finding(
                        code,
                        ("purposes", pid, "categories", index),
                        f"purpose `{pid}` uses `{cid}` ({sensitivity.value} data) without {what}",
                        f"add `{attr}:` ({', '.join(allowed)})",
                    )
        for did, dataset in datamap.datasets.items():
            if dataset.controller != "us":
                continue  # the client, as controller, answers for its own grounds (Art. 28(3)(a))
            covered = any(
                getattr(datamap.purposes[p], attr)
                for p in dataset.purposes
                if p in datamap.purposes
            )
            for name, field in dataset.fields.items():
                if _sensitivity(field.category, categories) is sensitivity and not covered:
                    yield Finding(
                        code,
                        ("datasets", did, "fields", name, "category"),
                        f"`{did}.{name}` holds {sensitivity.value} data but no purpose of the dataset has {what}",
                        f"list a purpose with `{attr}:` under the dataset's `purposes:`",
                    )


def _sensitivity(category: str, categories: dict[str, Category]) -> Sensitivity | None:
    found = categories.get(category)
    return found.sensitivity if found else None


def subject_ages(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L011: each kind of person needs a minimum age (consent age: GDPR Art. 8)."""
    types = subject_types()
    for sid, subject in datamap.subjects.items():
        if subject.minimum_age is None:
            default = types[subject.type].default_minimum_age if subject.type in types else None
            suggestion = (
                f"e.g. `minimum_age: {default}`"
                if default
                else "e.g. `minimum_age: 16` (GDPR Art. 8)"
            )
            yield Finding(
                "L011",
                ("subjects", sid),
                f"subject `{sid}` has no minimum age",
                f"add {suggestion}",
            )
        if subject.type is not None and subject.type not in types:
            yield Finding(
                "R009",
                ("subjects", sid, "type"),
                f"unknown subject type `{subject.type}`",
                f"use one of: {', '.join(types)}",
            )


# --- transfers and residency ----------------------------------------------------------------


def transfers(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L005/L006: recipients outside the EEA need a valid Chapter V mechanism."""
    for rid, recipient in datamap.recipients.items():
        at = ("recipients", rid)
        mechanism = recipient.transfer.mechanism if recipient.transfer else None
        if mechanism is TransferMechanism.privacy_shield:
            yield Finding(
                "L006",
                (*at, "transfer", "mechanism"),
                f"recipient `{rid}` relies on Privacy Shield, invalid since 16 July 2020 (CJEU C-311/18)",
                "use `dpf` if certified under the EU-US Data Privacy Framework, else `scc` (GDPR Art. 46(2)(c))",
            )
        elif not is_adequate(recipient.country) and mechanism not in VALID_MECHANISMS:
            where = (*at, "transfer") if recipient.transfer else (*at, "country")
            yield Finding(
                "L005",
                where,
                f"recipient `{rid}` in {recipient.country} (outside the EEA, no adequacy) has no valid transfer mechanism",
                "add `transfer: {mechanism: scc}` (or dpf, bcr, adequacy, derogation — GDPR Art. 44–49)",
            )


def client_residency(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L012: a client's data stays in the countries its contract allows."""
    for did, dataset in datamap.datasets.items():
        client_id = dataset.client_id()
        client = datamap.clients.get(client_id or "")
        system = datamap.systems.get(dataset.system)
        if client is None or system is None:
            continue
        if not residency_allows(client.residency, system.location):
            yield Finding(
                "L012",
                ("datasets", did, "system"),
                f"`{did}` holds data of client `{client_id}` in system `{dataset.system}` located in {system.location}, outside its residency ({', '.join(client.residency)})",
                f"move it to a system in {', '.join(client.residency)} or amend the client's `residency`",
            )


def client_forwards(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L014: a client's forward method Lawful cannot send by itself; each request about that
    client's data then waits for staff to send it on by hand (GDPR Art. 28(3)(e))."""
    for cid, client in datamap.clients.items():
        if client.forward.method not in AUTOMATED_FORWARDS:
            yield Finding(
                "L014",
                ("clients", cid, "forward", "method"),
                f"client `{cid}` is forwarded through `{client.forward.method.value}`, which Lawful does not send yet: every request about its data waits until staff send it on and record it",
                "use `method: email` or `method: webhook` (with `secret_env`), or add L014 to `checks: {ignore: [...]}` to forward by hand",
            )


# --- retention and the dataset graph -------------------------------------------------------


def _datasets_in_scope(datamap: DataMap, rule_id: str) -> list[str]:
    scope = datamap.retention[rule_id].applies_to
    return [did for did, dataset in datamap.datasets.items() if scope.covers(did, dataset)]


def retention_coverage(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L007: personal data needs a time limit (GDPR Art. 5(1)(e), 30(1)(f))."""
    covered = {did for rule_id in datamap.retention for did in _datasets_in_scope(datamap, rule_id)}
    for did in datamap.datasets:
        if did not in covered:
            yield Finding(
                "L007",
                ("datasets", did),
                f"dataset `{did}` holds personal data but no retention rule covers it",
                "add a rule under `retention:` whose `applies_to` names this dataset, its subject or its purposes",
            )


def dataset_graph(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L009/L010: references must form no cycle, and every dataset must be reachable."""
    edges = reference_edges(datamap)
    children: dict[str, list[str]] = {did: [] for did in datamap.datasets}
    for edge in edges:
        children.setdefault(edge.source, []).append(edge.target)
    for edge in _cycle_closing_edges(children, edges):
        yield Finding(
            "L009",
            ("datasets", edge.owner, "fields", edge.field, "references"),
            f"reference cycle through `{edge.source}` → `{edge.target}`",
            "make one side `direction: to`/`from` so traversal has an end, or add L009 to `checks.ignore` if the cycle is intended",
        )
    reachable = _reachable(children, [did for did, d in datamap.datasets.items() if d.identities])
    for did in datamap.datasets:
        if did not in reachable:
            yield Finding(
                "L010",
                ("datasets", did),
                f"dataset `{did}` cannot be reached from any identity",
                "add `identities:` (e.g. `{email: email}`) or a `references:` from a dataset that has one",
            )


def _reachable(children: dict[str, list[str]], starts: list[str]) -> set[str]:
    seen = set(starts)
    stack = list(starts)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _cycle_closing_edges(children: dict[str, list[str]], edges: list[Edge]) -> Iterator[Edge]:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    closing: set[tuple[str, str]] = set()

    def visit(node: str) -> None:
        state[node] = 1
        for child in children.get(node, []):
            if state.get(child) == 1:
                closing.add((node, child))
            elif child not in state:
                visit(child)
        state[node] = 2

    for node in sorted(children):
        if node not in state:
            visit(node)
    for edge in edges:
        if (edge.source, edge.target) in closing:
            yield edge


def redacted_fields(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L015: `erase: redact` only on a free-text field (anything else is one value, whole)."""
    for did, dataset in datamap.datasets.items():
        for name, field in dataset.fields.items():
            spec = field.erase_spec()
            if spec is None or spec.strategy is not EraseStrategy.redact:
                continue
            if not is_free_text(datamap, field):
                yield Finding(
                    "L015",
                    ("datasets", did, "fields", name, "erase"),
                    f"`{did}.{name}` is erased with `redact`, but its category "
                    f"`{field.category}` is not free text: there is no text to redact in",
                    "use `redact` on messages, notes or transcripts only, mark the field "
                    "`free_text: true` if it holds free text, or use `nullify`, `hash` or "
                    "`replace` here",
                )


def notify_targets(datamap: DataMap, categories: dict[str, Category]) -> Iterator[Finding]:
    """L025: how a system is told of decisions must be one it has (notify_checks)."""
    for code, at, message, hint in notify_problems(datamap):
        yield Finding(code, at, message, hint)


RULES: tuple[Rule, ...] = (
    unknown_references,
    unknown_fields,
    identity_fields,
    legal_bases,
    service_purposes,
    sensitive_conditions,
    subject_ages,
    transfers,
    client_residency,
    client_forwards,
    retention_coverage,
    conditions_typed,
    hand_overs,
    overlaps,
    ungoverned,
    dataset_graph,
    redacted_fields,
    *NOTICE_RULES,
    dpia_screening,
    notify_targets,
)
