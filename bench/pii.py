"""Personal data in free text: Lawful's analyzer against Presidio's, on the same labelled set,
in the same run.

    .venv/bin/python bench/pii.py                      # 3,000 documents, seed 2026
    .venv/bin/python bench/pii.py --documents 600      # a quicker look
    .venv/bin/python bench/pii.py --no-presidio        # Lawful alone

The set (bench/pii_corpus.py) is regenerated on each run from the seed: contact-center
tickets, CV snippets and interview or call notes in English, French and Greek, every
personal value labelled with its span. Both analyzers read every document; a finding is
right when a gold span of the same entity type overlaps it (the headline: the analyzers
disagree on edges people do not care about — "+33 (0)1 …" with or without its "+33", "Apt. 3"
in the street or not) and, stricter, when its span is exactly the gold one. Each gold span
and each finding is matched at most once.

Lawful is also timed reading the documents 200 at a time (`Analyzer.analyze_many`, as a
scan reads a column's sampled values: one pass of each recognizer over the batch); its
findings must be the same as one by one.

Throughput is the UTF-8 size of the set over the CPU time (`time.process_time`) one
process spends analysing it, after each analyzer has read the first 20 documents untimed:
one core, whatever else the machine runs (other processes still slow a shared core down:
the load average is printed with the figures). Lawful is timed before and after Presidio's
long run and the two times averaged, so both see the same drift in the machine's load.

Presidio: `presidio-analyzer` (the `bench` extra of pyproject.toml: `pip install -e
'.[bench]'`), regex and checksum recognizers only — no spaCy model can be downloaded here,
so its NER (PERSON, LOCATION, most dates) does not run. Its NLP engine is a blank spaCy
tokenizer (lower-cased tokens as lemmas, so its context words still count); its phone
recognizer is given the same regions as Lawful's; its Spanish and Italian recognizers
(ES_NIF, ES_NIE, IT_FISCAL_CODE) are loaded for the texts' language too. Its score threshold
is chosen per entity type, the best of 0, 0.3, 0.5 and 0.7 on this very set (as generous as
it gets); Lawful runs with its defaults.

A Rich table goes to the terminal, the figures to `--out` (JSON, default pii-results.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pii_corpus import Document, Span, generate

from lawful.recognizers.analyzer import Analyzer

log = Console(stderr=True)

# Presidio's entity names, as Lawful's.
PRESIDIO_ENTITIES = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "IBAN_CODE": "IBAN",
    "CREDIT_CARD": "CREDIT_CARD",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_SSN": "US_SSN",
    "UK_NINO": "UK_NINO",
    "ES_NIF": "ES_DNI",
    "ES_NIE": "ES_DNI",
    "IT_FISCAL_CODE": "IT_FISCAL_CODE",
    "DATE_TIME": "DATE_OF_BIRTH",
    "PERSON": "PERSON",
    "LOCATION": "ADDRESS",
}
THRESHOLDS = (0.0, 0.3, 0.5, 0.7)
WARM_UP = 20  # documents each analyzer reads, untimed, before the timed run
BATCH = 200  # documents Lawful reads at a time in its batch run (a scan's rows per table)
PRESIDIO_VERSION_PIN = "presidio-analyzer==2.2.366"


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    entity: str
    score: float


Run = list[list[Found]]  # per document, its findings


def timed(analyze: Callable[[str], list[Found]], docs: Sequence[Document]) -> tuple[Run, float]:
    """Each document's findings, and the CPU seconds spent finding them."""
    for doc in docs[:WARM_UP]:  # caches, lazily loaded phone metadata, lazy compilation
        analyze(doc.text)
    found: Run = []
    started = time.process_time()
    for doc in docs:
        found.append(analyze(doc.text))
    return found, time.process_time() - started


def timed_batches(
    analyze_many: Callable[[Sequence[str]], list[list[Found]]], docs: Sequence[Document]
) -> tuple[Run, float]:
    """As `timed`, the documents read BATCH at a time (`Analyzer.analyze_many`)."""
    analyze_many([doc.text for doc in docs[:WARM_UP]])
    found: Run = []
    started = time.process_time()
    for at in range(0, len(docs), BATCH):
        found.extend(analyze_many([doc.text for doc in docs[at : at + BATCH]]))
    return found, time.process_time() - started


def lawful_analyze_many() -> Callable[[Sequence[str]], list[list[Found]]]:
    analyzer = Analyzer()

    def analyze_many(texts: Sequence[str]) -> list[list[Found]]:
        return [
            [Found(f.start, f.end, f.entity, f.score) for f in found]
            for found in analyzer.analyze_many(texts)
        ]

    return analyze_many


def lawful_analyze() -> Callable[[str], list[Found]]:
    analyzer = Analyzer()

    def analyze(text: str) -> list[Found]:
        return [Found(f.start, f.end, f.entity, f.score) for f in analyzer.analyze(text)]

    return analyze


def presidio_analyze(
    entities: list[str] | None = None,
) -> tuple[Callable[[str], list[Found]], str]:
    """Presidio's analyzer, regex and checksum recognizers only (see the module's docstring)."""
    import logging

    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        EsNieRecognizer,
        EsNifRecognizer,
        ItFiscalCodeRecognizer,
        PhoneRecognizer,
        SpacyRecognizer,
        UkNinoRecognizer,
    )

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)

    class BlankSpacyEngine(SpacyNlpEngine):  # type: ignore[misc]
        """A tokenizer only: no model to load."""

        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

        def _doc_to_nlp_artifact(self, doc: Any, language: str) -> NlpArtifacts:
            return NlpArtifacts(
                entities=[],
                tokens=doc,
                tokens_indices=[t.idx for t in doc],
                lemmas=[t.lower_ for t in doc],
                nlp_engine=self,
                language=language,
                scores=[],
            )

    engine = BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    for name in ("SpacyRecognizer", "PhoneRecognizer", "UkNinoRecognizer"):
        registry.remove_recognizer(name)
    regions = ("US", "GB", "FR", "GR", "ES", "IT", "DE")
    registry.add_recognizer(PhoneRecognizer(supported_regions=regions))
    for extra in (EsNifRecognizer, EsNieRecognizer, ItFiscalCodeRecognizer, UkNinoRecognizer):
        registry.add_recognizer(extra(supported_language="en"))
    assert not any(isinstance(r, SpacyRecognizer) for r in registry.recognizers)
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])

    def analyze(text: str) -> list[Found]:
        return [
            Found(r.start, r.end, r.entity_type, r.score)
            for r in analyzer.analyze(text, language="en", entities=entities, score_threshold=0.0)
        ]

    return analyze, metadata.version("presidio-analyzer")


@dataclass
class Score:
    gold: int = 0
    found: int = 0
    right: int = 0

    def row(self) -> dict[str, float | int]:
        p = self.right / self.found if self.found else 0.0
        r = self.right / self.gold if self.gold else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": p, "recall": r, "f1": f1, "gold": self.gold, "found": self.found}


def score(docs: Sequence[Document], run: Run, *, exact: bool) -> dict[str, Score]:
    """Per entity type: gold spans, findings, and findings matching a gold span (each matched
    once), by overlap or by exact span."""
    scores: dict[str, Score] = {}
    for doc, found in zip(docs, run, strict=True):
        for span in doc.spans:
            scores.setdefault(span.entity, Score()).gold += 1
        unmatched = list(doc.spans)
        for finding in found:
            scores.setdefault(finding.entity, Score()).found += 1
            gold = _match(finding, unmatched, exact=exact)
            if gold is not None:
                unmatched.remove(gold)
                scores[finding.entity].right += 1
    return scores


def _match(finding: Found, spans: Iterable[Span], *, exact: bool) -> Span | None:
    for span in spans:
        if span.entity != finding.entity:
            continue
        if exact and (span.start, span.end) == (finding.start, finding.end):
            return span
        if not exact and span.start < finding.end and finding.start < span.end:
            return span
    return None


def presidio_best(docs: Sequence[Document], run: Run, *, exact: bool) -> dict[str, Any]:
    """Presidio's scores per entity type (its names mapped to Lawful's; the types Lawful does
    not label, such as URL, left out) at the threshold that suits that type best."""
    mapped = [
        [
            Found(f.start, f.end, PRESIDIO_ENTITIES[f.entity], f.score)
            for f in found
            if f.entity in PRESIDIO_ENTITIES
        ]
        for found in run
    ]
    best: dict[str, Any] = {}
    for threshold in THRESHOLDS:
        kept = [[f for f in found if f.score >= threshold] for found in mapped]
        for entity, result in score(docs, kept, exact=exact).items():
            row = result.row() | {"threshold": threshold}
            if entity not in best or row["f1"] > best[entity]["f1"]:
                best[entity] = row
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-presidio", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("pii-results.json"))
    args = parser.parse_args()

    docs = generate(documents=args.documents, seed=args.seed)
    size = sum(len(d.text.encode()) for d in docs)
    log.print(
        f"{len(docs)} documents, {sum(len(d.spans) for d in docs)} spans, {size / 1e6:.2f} MB"
    )
    result: dict[str, Any] = {
        "documents": len(docs),
        "spans": dict(Counter(s.entity for d in docs for s in d.spans)),
        "megabytes": size / 1e6,
        "seed": args.seed,
        "machine": _machine(),
    }
    lawful = lawful_analyze()
    lawful_run, seconds = timed(lawful, docs)
    result["lawful"] = _summary(docs, lawful_run, seconds, size)
    lawful_many = lawful_analyze_many()
    batch_run, batch_seconds = timed_batches(lawful_many, docs)
    if batch_run != lawful_run:
        sys.exit("Lawful's batches found something else than its documents one by one")
    result["lawful_batches"] = {"seconds": batch_seconds, "mb_per_s": size / 1e6 / batch_seconds}
    if not args.no_presidio:
        try:
            analyze, version = presidio_analyze()
        except ImportError:
            sys.exit(
                f"presidio-analyzer is not installed: pip install '{PRESIDIO_VERSION_PIN}' "
                "(or `pip install -e '.[bench]'`), or pass --no-presidio"
            )
        presidio_run, p_seconds = timed(analyze, docs)
        result["presidio"] = {
            "version": version,
            "seconds": p_seconds,
            "mb_per_s": size / 1e6 / p_seconds,
            "overlap": presidio_best(docs, presidio_run, exact=False),
            "exact": presidio_best(docs, presidio_run, exact=True),
        }
        # Presidio again, asked only for the types Lawful labels (it then skips its other
        # recognizers: US passports, URLs …): the fairest speed to compare with.
        shared, _ = presidio_analyze(sorted(PRESIDIO_ENTITIES))
        _, s_seconds = timed(shared, docs)
        result["presidio_shared_types"] = {
            "seconds": s_seconds,
            "mb_per_s": size / 1e6 / s_seconds,
        }
        # Lawful is timed again after Presidio, and the two times averaged: the machine's
        # load drifts during Presidio's long run, and both should see the same drift.
        _, again = timed(lawful, docs)
        _, batch_again = timed_batches(lawful_many, docs)
        result["lawful"]["seconds_each"] = [seconds, again]
        result["lawful"]["seconds"] = (seconds + again) / 2
        result["lawful"]["mb_per_s"] = size / 1e6 / result["lawful"]["seconds"]
        result["lawful_batches"]["seconds_each"] = [batch_seconds, batch_again]
        result["lawful_batches"]["seconds"] = (batch_seconds + batch_again) / 2
        result["lawful_batches"]["mb_per_s"] = size / 1e6 / result["lawful_batches"]["seconds"]
        result["speedup"] = result["lawful"]["mb_per_s"] / result["presidio"]["mb_per_s"]
        result["speedup_shared_types"] = result["lawful"]["mb_per_s"] / (size / 1e6 / s_seconds)
        result["speedup_batches"] = (
            result["lawful_batches"]["mb_per_s"] / result["presidio"]["mb_per_s"]
        )
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    Console().print(_table(result))
    log.print(f"results in {args.out}")


def _summary(docs: Sequence[Document], run: Run, seconds: float, size: int) -> dict[str, Any]:
    return {
        "seconds": seconds,
        "mb_per_s": size / 1e6 / seconds,
        "overlap": {e: s.row() for e, s in score(docs, run, exact=False).items()},
        "exact": {e: s.row() for e, s in score(docs, run, exact=True).items()},
    }


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
    }


def _table(result: dict[str, Any]) -> Table:
    table = Table(title="PII in free text: overlap match (exact match in brackets)")
    for column in ("entity", "gold", "Lawful P", "Lawful R", "Lawful F1", "Presidio P",
                   "Presidio R", "Presidio F1"):  # fmt: skip
        table.add_column(column, justify="left" if column == "entity" else "right")
    presidio = result.get("presidio", {})
    for entity, gold in sorted(result["spans"].items()):
        row = [entity, str(gold)]
        for side in (result["lawful"], presidio):
            overlap, exact = side.get("overlap", {}).get(entity), side.get("exact", {}).get(entity)
            if overlap is None or not overlap["found"]:
                row += ["—", "—", "—"]
                continue
            row += [f"{overlap[k]:.3f} ({exact[k]:.3f})" for k in ("precision", "recall", "f1")]
        table.add_row(*row)
    speed = f"Lawful {result['lawful']['mb_per_s']:.2f} MB/s"
    if presidio:
        speed += f", Presidio {presidio['mb_per_s']:.3f} MB/s: ×{result['speedup']:.0f}"
        shared = result["presidio_shared_types"]["mb_per_s"]
        speed += f" (Presidio asked only for the shared types {shared:.3f} MB/s: "
        speed += f"×{result['speedup_shared_types']:.0f})"
        batches = result["lawful_batches"]["mb_per_s"]
        speed += (
            f"; Lawful by {BATCH} documents {batches:.2f} MB/s: ×{result['speedup_batches']:.0f}"
        )
    table.caption = f"{speed}; load average {result['machine']['load_average'][0]:.1f}"
    return table


if __name__ == "__main__":
    main()
