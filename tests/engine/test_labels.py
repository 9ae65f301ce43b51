"""An access report's labels are derived once per map and dataset, never from another map."""

from __future__ import annotations

import gc
from pathlib import Path

from lawful.datamap.loader import load_datamap
from lawful.engine.labels import dataset_labels

from .conftest import FIXTURES


def _map(tmp_path: Path, description: str) -> Path:
    text = (FIXTURES / "shop.yaml").read_text().replace("__CONNECTION__", "{type: sqlite, path: x}")
    text = text.replace(
        "  addresses:\n    system: shop\n",
        f"  addresses:\n    system: shop\n    description: {description}\n",
    )
    path = tmp_path / f"{description.replace(' ', '_')}.yaml"
    path.write_text(text)
    return path


def test_a_map_derives_each_datasets_labels_once_and_another_map_its_own(tmp_path: Path) -> None:
    first = load_datamap(_map(tmp_path, "Where we deliver")).datamap
    labels = dataset_labels(first, "addresses")
    assert labels.name == "Where we deliver"
    assert dataset_labels(first, "addresses") is labels
    second = load_datamap(_map(tmp_path, "Delivery addresses")).datamap
    assert dataset_labels(second, "addresses").name == "Delivery addresses"
    del first, labels
    gc.collect()
    third = load_datamap(_map(tmp_path, "Postal addresses")).datamap  # may reuse first's id
    assert dataset_labels(third, "addresses").name == "Postal addresses"
    assert dataset_labels(second, "addresses").name == "Delivery addresses"
