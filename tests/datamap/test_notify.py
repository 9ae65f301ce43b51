"""How a system is told of decisions (`notify`): its shape is checked at load time and L025
flags an HTTP connector that is not there, each at `file:line:col`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lawful.datamap.loader import load_datamap
from lawful.datamap.problems import DataMapError

from .test_checks import found

WriteCase = Callable[[str], Path]


def test_a_webhook_a_manual_system_and_a_poller_are_clean(write_case: WriteCase) -> None:
    path = write_case(
        """
        systems:
          crm: {name: CRM, owner: Sales, location: FR, notify: manual}
        datasets:
          leads:
            system: crm
            subject: applicant
            notify: {webhook: {url_env: CRM_HOOK_URL, secret_env: CRM_HOOK_SECRET}}
            fields:
              id: {category: identifier.customer, provided_by_subject: false}
        """
    )
    assert [line for line in found(path) if "L025" in line] == []
    datamap = load_datamap(path).datamap
    assert datamap.systems["crm"].notify == "manual"


def test_an_http_connector_the_system_lacks_is_reported_at_notify(write_case: WriteCase) -> None:
    path = write_case(
        """
        systems:
          crm: {name: CRM, owner: Sales, location: FR, notify: http_connector}
        """
    )
    assert "case.yaml:3:56 L025" in found(path)  # at `http_connector`


def test_a_secret_written_in_the_map_is_refused_where_it_stands(write_case: WriteCase) -> None:
    path = write_case(
        """
        systems:
          crm:
            name: CRM
            owner: Sales
            location: FR
            notify: {webhook: {url_env: CRM_HOOK_URL, secret_env: whsec_abc123}}
        """
    )
    with pytest.raises(DataMapError) as caught:
        load_datamap(path)
    text = str(caught.value)
    assert "case.yaml:7:" in text
    assert "secret_env" in text
