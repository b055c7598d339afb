"""Photon on Ray Data: ``photon.ray.Photon`` is a callable class for ``Dataset.map_batches``.

It takes the batches of ``ray.data.read_binary_files(paths, include_paths=True)`` (columns
``bytes`` and ``path``) and returns Photon's record table for them, one row per image, in the
schema of ``photon process -o out.parquet``::

    import ray, photon.ray
    ds = ray.data.read_binary_files("s3://bucket/photos/", include_paths=True,
                                    override_num_blocks=8)  # a few per actor
    records = ds.map_batches(
        photon.ray.Photon,
        fn_constructor_kwargs={"models_dir": "/opt/photon/models"},
        compute=ray.data.ActorPoolStrategy(size=4),
        num_cpus=1,
        batch_size=32,
        batch_format="pyarrow",
    )
    records.write_parquet("s3://bucket/records/")

Each actor builds its engine once, in ``__init__``; an engine is never pickled, only the
arguments that make it. ``threads`` defaults to the actor's CPU allotment (``num_cpus``),
because ONNX Runtime would otherwise size its thread pool by the host's cores, and N actors on
one host would each start as many threads as the host has.
"""

from typing import Any, Optional

import pyarrow as pa

from ._photon import Pipeline

__all__ = ["Photon"]


def _cpu_allotment() -> int:
    """The CPUs Ray gave this actor (at least 1); 1 outside Ray."""
    try:
        import ray

        cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0)
    except Exception:  # not inside a Ray worker
        cpus = 1.0
    return max(1, int(round(cpus)))


class Photon:
    """A ``map_batches`` callable: image bytes and paths in, Photon's records out.

    Args:
        threads: model and decode threads; default the actor's CPU allotment.
        **pipeline: any other ``photon.Pipeline`` argument (``models_dir``, ``model``,
            ``backend``, ``thumbnail_size``, ``exif``, ``perceptual_hash``, ``embedding``,
            ``tags``).
    """

    def __init__(self, threads: Optional[int] = None, **pipeline: Any) -> None:
        threads = threads or _cpu_allotment()
        pipeline.setdefault("parallel", threads)
        self._pipeline = Pipeline(threads=threads, **pipeline)

    def __call__(self, batch: Any) -> pa.Table:
        """Processes one batch: a ``pyarrow.Table`` (``batch_format="pyarrow"``), a pandas
        DataFrame or a dict of columns, with ``bytes`` and ``path``."""
        if isinstance(batch, pa.Table):
            # The columns cross into Rust as Arrow arrays: no Python object per image.
            return self._pipeline.process_bytes(batch.column("bytes"), batch.column("path"))
        data, paths = list(batch["bytes"]), list(batch["path"])
        return self._pipeline.process_bytes(data, [str(p) for p in paths])

    @property
    def schema(self) -> pa.Schema:
        """The schema of the tables it returns."""
        return self._pipeline.schema
