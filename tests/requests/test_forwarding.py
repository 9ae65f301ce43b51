"""Which clients hold the person: found as the engine finds people, whatever the case."""

from __future__ import annotations

from lawful.engine.identity import parse_identity
from lawful.engine.plan import Forward
from lawful.requests.forwarding import holding_clients

from ..conftest import ExampleCompany

BRIGHTPATH = Forward(
    dataset="brightpath_customers",
    client="brightpath",
    client_name="Brightpath Mobile",
    method="email",
    address="privacy-requests@brightpath.example",
)


def test_a_client_holding_a_mixed_case_stored_email_is_told_about_the_person(
    sqlite_company: ExampleCompany,
) -> None:
    sqlite_company.execute(
        "contact_us",
        "UPDATE customers SET email = '  Ann.Lee@Example.ORG ' WHERE customer_id = 1",
    )
    identity = parse_identity(["email=ann.lee@example.org"], datamap=sqlite_company.datamap)
    with sqlite_company.datastores() as datastores:
        shares, unchecked = holding_clients(
            datamap=sqlite_company.datamap,
            datastores=datastores,
            identity=identity,
            forwards=(BRIGHTPATH,),
        )
    assert unchecked == []
    assert [(s.client, s.datasets, s.identity) for s in shares] == [
        ("brightpath", ("brightpath_customers",), (("email", "ann.lee@example.org"),))
    ]


def test_a_client_that_never_had_the_person_is_not_told(sqlite_company: ExampleCompany) -> None:
    identity = parse_identity(["email=nobody@example.org"], datamap=sqlite_company.datamap)
    with sqlite_company.datastores() as datastores:
        shares, _ = holding_clients(
            datamap=sqlite_company.datamap,
            datastores=datastores,
            identity=identity,
            forwards=(BRIGHTPATH,),
        )
    assert shares == []
