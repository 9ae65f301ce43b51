"""What mail to people says about the sender, the DPO and the data kept: words from the map,
never a table name, never the DPO's title twice, never privacy@localhost when the map has an
address."""

from __future__ import annotations

from email.utils import parseaddr

import pytest

from lawful.config import Settings, public_url_warning, served_at
from lawful.datamap.facts import dpo_lines
from lawful.datamap.models import Contact, DataMap
from lawful.requests.mail import FALLBACK_SENDER, sender_of
from lawful.requests.notices import dataset_in_words


def test_the_sender_is_the_organisation_with_its_privacy_address(example_map: DataMap) -> None:
    sender = sender_of(Settings(), example_map)
    assert parseaddr(sender) == ("Voxaria", "privacy@voxaria.example")


def test_lawful_smtp_from_wins_over_the_map(example_map: DataMap) -> None:
    settings = Settings(smtp_from="DPO <dpo@elsewhere.example>")
    assert sender_of(settings, example_map) == "DPO <dpo@elsewhere.example>"


def test_without_a_privacy_channel_the_contact_address_sends(example_map: DataMap) -> None:
    org = example_map.organization.model_copy(
        update={
            "requests": None,
            "contact": Contact(name="Desk", email="desk@voxaria.example"),
        }
    )
    datamap = example_map.model_copy(update={"organization": org})
    assert parseaddr(sender_of(Settings(), datamap))[1] == "desk@voxaria.example"


def test_only_a_map_without_any_address_falls_back_to_localhost(example_map: DataMap) -> None:
    org = example_map.organization.model_copy(update={"requests": None, "contact": Contact()})
    datamap = example_map.model_copy(update={"organization": org})
    assert sender_of(Settings(), datamap) == FALLBACK_SENDER


def test_the_dpo_title_is_not_repeated_as_a_name() -> None:
    titled = Contact(name="Data protection officer", email="dpo@x.example")
    named = Contact(name="Ada Lovelace", email="dpo@x.example")
    assert dpo_lines(titled) == ["dpo@x.example"]
    assert dpo_lines(named) == ["Ada Lovelace", "dpo@x.example"]
    assert dpo_lines(None) == []


def test_a_dataset_is_named_by_its_description_or_its_kinds_of_data(
    example_map: DataMap,
) -> None:
    described = next(k for k, d in example_map.datasets.items() if d.description)
    assert dataset_in_words(example_map, described) == (
        example_map.datasets[described].description or ""
    ).strip().rstrip(".")
    bare = [k for k, d in example_map.datasets.items() if not d.description]
    assert "invoices" in bare  # the example keeps one without a description
    for dataset_id in bare:
        text = dataset_in_words(example_map, dataset_id)
        table = example_map.datasets[dataset_id].table or dataset_id
        assert not text.lower().startswith((dataset_id, table))  # never "invoices: …"
        assert text.startswith(("Records with your ", "Other records about you"))


def test_served_at_points_public_url_at_the_server_unless_it_was_set() -> None:
    assert served_at(Settings(), host="127.0.0.1", port=8123).public_url == (
        "http://127.0.0.1:8123"
    )
    assert served_at(Settings(), host="0.0.0.0", port=9000).public_url == "http://localhost:9000"
    assert served_at(Settings(), host="::1", port=9000).public_url == "http://[::1]:9000"
    chosen = Settings(public_url="https://privacy.example")
    assert served_at(chosen, host="127.0.0.1", port=8123).public_url == "https://privacy.example"


def test_lawful_mail_from_is_read_as_the_sender_too(
    example_map: DataMap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAWFUL_MAIL_FROM", "Voxaria DPO <dpo@voxaria.example>")
    assert sender_of(Settings(), example_map) == "Voxaria DPO <dpo@voxaria.example>"


def test_a_worker_without_public_url_is_warned_that_its_links_miss_the_server() -> None:
    warning = public_url_warning(Settings())
    assert warning is not None
    assert "LAWFUL_PUBLIC_URL is not set" in warning
    assert "http://localhost:8000" in warning
    assert public_url_warning(Settings(public_url="https://privacy.example")) is None
