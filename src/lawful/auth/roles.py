"""Who may do what: staff roles and the scopes of API tokens (DESIGN.md §5).

Every page and endpoint names one of the role groups below, so the rules live in one place.
"""

from __future__ import annotations

from collections.abc import Mapping

from lawful.auth.models import Role

ALL_ROLES: tuple[Role, ...] = tuple(Role)
# Act on a request: approve it, extend its deadline, enter one received by mail or phone.
REQUEST_HANDLERS: tuple[Role, ...] = (Role.admin, Role.privacy_officer, Role.analyst)
# Refuse or cancel a request: a legal judgment (GDPR Art. 12(4)), kept to privacy officers.
REQUEST_DECIDERS: tuple[Role, ...] = (Role.admin, Role.privacy_officer)
# Manage staff accounts and API tokens.
ADMINS: tuple[Role, ...] = (Role.admin,)

ROLE_TITLES: Mapping[Role, str] = {
    Role.admin: "Administrator",
    Role.privacy_officer: "Privacy officer",
    Role.analyst: "Analyst",
    Role.auditor: "Auditor (read-only)",
}

# Scopes an API token may carry. A domain that adds endpoints adds its scopes here.
API_SCOPES: Mapping[str, str] = {
    "requests:read": "Read rights requests, their status and deadlines",
    "requests:write": "Create rights requests and act on them",
    "audit:read": "Read the audit trail",
    "consent:read": "Read consent records and preferences",
    "consent:write": "Record consent and its withdrawal",
    "complaints:read": "Read the register of complaints and authority inquiries",
    "complaints:write": "Register complaints and authority inquiries",
    "directives:read": "Read the register of post-mortem directives",
    "directives:write": "Record post-mortem directives and report deaths",
    "markers:read": "Read restriction, objection, isolation and erasure markers, with the "
    "identities they concern, for the systems that must honour them",
    "status:read": "Read the installation's health: store, broker, workers, jobs, datastores",
    "dpia:read": "Read the DPIA register and each purpose's screening",
    "processors:read": "Read processors, their agreements and changes of sub-processor",
    "training:read": "Read staff members' training and when it expires",
}
