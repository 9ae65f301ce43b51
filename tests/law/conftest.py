"""Organisations for the jurisdiction tests, built from the data-map models."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lawful.datamap.models import Address, Contact, Establishment, Jurisdiction, Organization

MakeOrganization = Callable[..., Organization]


@pytest.fixture
def make_organization() -> MakeOrganization:
    def make(
        *declared: Jurisdiction, seat: str = "US", establishments: tuple[str, ...] = ()
    ) -> Organization:
        return Organization(
            name="Example Contact Centre Ltd",
            address=Address(street="1 Example Street", city="Example City", country=seat),
            contact=Contact(email="privacy@example.test"),
            establishments=[
                Establishment(name=f"Office {country}", country=country)
                for country in establishments
            ],
            jurisdictions=list(declared),
        )

    return make
