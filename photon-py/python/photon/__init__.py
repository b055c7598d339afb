"""Photon: images in, structured records out, as Arrow tables.

``photon.Pipeline`` runs Photon's Rust engine over image files or bytes and returns a
``pyarrow.Table`` with one row per input, successful or an error row naming the stage that
failed, in the schema of ``photon process -o out.parquet``: content hash, size and format,
EXIF, perceptual hash, thumbnail (JPEG bytes), embedding (``fixed_size_list<float>[dim]``), tags
and model. ``photon.ray.Photon`` runs it inside Ray Data's ``map_batches``.

>>> import photon
>>> pipeline = photon.Pipeline(embedding=False)
>>> table = pipeline.process(["testdata/photos/dog.jpg"])
>>> table.column("width").to_pylist()
[768]
"""

from ._photon import Pipeline, __version__

__all__ = ["Pipeline", "__version__"]
