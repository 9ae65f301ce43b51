"""The data map as one client's request sees it: that client's datasets only, as if they were
ours. The engine never touches a client's datasets on our own requests; an OpenDSR request
is the client's documented instruction to do so (GDPR Art. 28(3)(a)), for its datasets and
no other: ours and other clients' are not in this map, so no plan can reach them."""

from __future__ import annotations

from lawful.datamap.models import DataMap


def client_map(datamap: DataMap, client: str) -> DataMap:
    """`datamap` with only `client`'s datasets, each as controlled by "us" for the engine."""
    datasets = {
        did: dataset.model_copy(update={"controller": "us"})
        for did, dataset in datamap.datasets.items()
        if dataset.client_id() == client
    }
    systems = {d.system for d in datasets.values()}
    return datamap.model_copy(
        update={
            "datasets": datasets,
            "systems": {sid: s for sid, s in datamap.systems.items() if sid in systems},
            "clients": {},
            "retention": {},
        }
    )


def client_datasets(datamap: DataMap, client: str) -> list[str]:
    return [did for did, d in datamap.datasets.items() if d.client_id() == client]
