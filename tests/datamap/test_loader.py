"""Loading a data map: merged includes, and one clear line per mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lawful.datamap.loader import load_datamap
from lawful.datamap.problems import DataMapError

ORG = """\
organization:
  name: Example SAS
  address: {street: 1 rue A, city: Lyon, country: FR}
  contact: {email: privacy@example.org}
  jurisdictions: [gdpr]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def problem_lines(path: Path) -> list[str]:
    with pytest.raises(DataMapError) as caught:
        load_datamap(path)
    return [
        f"{p.position.file.name}:{p.position.line}:{p.position.col} {p.code}"
        for p in caught.value.problems
        if p.position
    ]


def test_includes_are_merged_section_by_section(tmp_path: Path) -> None:
    write(
        tmp_path,
        "parts/subjects.yaml",
        "subjects:\n  customer: {name: Customers, minimum_age: 16}\n",
    )
    main = write(
        tmp_path,
        "lawful.yaml",
        ORG
        + "include: [parts/subjects.yaml]\nsubjects:\n  prospect: {name: Prospects, minimum_age: 16}\n",
    )
    loaded = load_datamap(main)
    assert set(loaded.datamap.subjects) == {"customer", "prospect"}
    position = loaded.sources.locate(("subjects", "customer", "minimum_age"))
    assert position is not None
    assert (position.file.name, position.line) == ("subjects.yaml", 2)


def test_bad_indentation_is_one_line_with_its_position(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "lawful.yaml",
        ORG + "subjects:\n  customer:\n    name: Customers\n   minimum_age: 16\n",
    )
    assert problem_lines(path) == ["lawful.yaml:9:4 Y001"]


def test_an_unknown_key_is_reported_with_a_suggestion(tmp_path: Path) -> None:
    path = write(
        tmp_path, "lawful.yaml", ORG + "subjects:\n  customer: {name: Customers, minimun_age: 16}\n"
    )
    with pytest.raises(DataMapError) as caught:
        load_datamap(path)
    [problem] = caught.value.problems
    assert (problem.code, problem.position and problem.position.line) == ("S001", 7)
    assert "minimum_age" in problem.hint


def test_a_wrong_type_is_reported_at_the_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "lawful.yaml",
        ORG + "subjects:\n  customer: {name: Customers, minimum_age: sixteen}\n",
    )
    assert problem_lines(path) == ["lawful.yaml:7:44 S002"]


def test_a_missing_required_key_is_reported_at_its_parent(tmp_path: Path) -> None:
    path = write(tmp_path, "lawful.yaml", ORG + "subjects:\n  customer: {minimum_age: 16}\n")
    assert problem_lines(path) == ["lawful.yaml:7:13 S003"]


def test_a_missing_include_is_reported_where_it_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "lawful.yaml", ORG + "include:\n  - parts/nowhere.yaml\n")
    assert problem_lines(path) == ["lawful.yaml:7:5 Y002"]


def test_an_include_cycle_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", "include: [lawful.yaml]\n")
    path = write(tmp_path, "lawful.yaml", ORG + "include: [b.yaml]\n")
    assert problem_lines(path) == ["b.yaml:1:11 Y004"]


def test_an_entry_defined_in_two_files_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "more.yaml", "subjects:\n  customer: {name: Clients, minimum_age: 16}\n")
    path = write(
        tmp_path,
        "lawful.yaml",
        ORG + "include: [more.yaml]\nsubjects:\n  customer: {name: Customers, minimum_age: 16}\n",
    )
    assert problem_lines(path) == ["more.yaml:2:3 Y005"]


def test_a_connection_password_in_yaml_is_refused_with_the_env_var_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "lawful.yaml",
        ORG + "systems:\n  crm:\n    name: CRM\n    owner: Sales\n    location: FR\n"
        "    connection: {type: postgresql, url: 'postgresql://u:secret@db/crm'}\n",
    )
    with pytest.raises(DataMapError) as caught:
        load_datamap(path)
    [problem] = caught.value.problems
    assert problem.code == "S001"
    assert "url_env" in problem.hint
    assert "u:secret@db" not in str(problem)


def test_every_problem_in_a_file_is_reported_not_just_the_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "lawful.yaml",
        ORG + "subjects:\n  a: {name: A, minimum_age: x}\n  b: {name: B, colour: red}\n",
    )
    assert problem_lines(path) == ["lawful.yaml:7:29 S002", "lawful.yaml:8:16 S001"]
