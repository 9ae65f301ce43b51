"""The `lawful` command as a person uses it: exit codes and one line per problem."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from lawful.cli import app

runner = CliRunner()
FIXTURES = Path(__file__).parent / "datamap" / "fixtures"


def test_check_exits_zero_on_a_clean_map() -> None:
    result = runner.invoke(app, ["check", "-m", str(FIXTURES / "base.yaml")])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_check_prints_one_line_per_problem_and_exits_one(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text((FIXTURES / "base.yaml").read_text())
    case = tmp_path / "case.yaml"
    case.write_text("include: [base.yaml]\nsubjects:\n  prospect: {name: Prospects}\n")
    result = runner.invoke(app, ["check", "-m", str(case)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "L011" in line]
    assert len(lines) == 1
    assert "case.yaml:3:3: L011 subject `prospect` has no minimum age" in lines[0]
    assert lines[0].endswith("— add e.g. `minimum_age: 16` (GDPR Art. 8)"), lines[0]


def test_malformed_yaml_gives_no_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "lawful.yaml"
    broken.write_text("organization:\n  name: [unclosed\n")
    result = runner.invoke(app, ["check", "-m", str(broken)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Y001" in result.output


def test_a_missing_map_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", "-m", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1
    assert "Y002 file not found: nope.yaml" in result.output


def test_schema_prints_a_json_schema_covering_every_section() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    sections = set(schema["properties"])
    assert {"organization", "subjects", "categories", "purposes", "systems", "datasets"} <= sections
    assert {"recipients", "retention", "clients"} <= sections
    assert schema["$schema"].endswith("2020-12/schema")


def test_check_takes_the_map_as_an_argument_too() -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "contact-center" / "lawful.yaml"
    result = runner.invoke(app, ["check", str(example)])
    assert result.exit_code == 0, result.output


def test_ropa_refuses_a_map_that_fails_its_checks(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text((FIXTURES / "base.yaml").read_text())
    case = tmp_path / "case.yaml"
    case.write_text("include: [base.yaml]\npurposes:\n  sourcing: {name: Sourcing}\n")
    result = runner.invoke(app, ["ropa", str(case), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "L001" in result.output
    assert not (tmp_path / "out").exists()


def test_the_published_schema_file_is_up_to_date() -> None:
    published = Path(__file__).resolve().parents[1] / "docs" / "lawful.schema.json"
    result = runner.invoke(app, ["schema"])
    assert json.loads(published.read_text()) == json.loads(result.output), (
        "regenerate it: lawful schema > docs/lawful.schema.json"
    )
