"""Reads a Parquet file `photon process` wrote with real engines, and checks what they see.

Usage: check_parquet.py FILE ROWS IMAGES DIM MODEL_ID

- pyarrow: the schema has exactly the documented types, and the metadata names the model;
- DuckDB: read_parquet counts ROWS rows, and a nearest-neighbour query by
  list_cosine_similarity finds each image itself first;
- LanceDB: a table created from the file answers a cosine vector search with the same
  neighbours as brute force over the vectors.
Prints one JSON line of what it measured; any mismatch raises (exit 1).
"""

import json
import sys
import tempfile

import duckdb
import lancedb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

path, rows, images, dim, model_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]


def check_schema():
    schema = pq.read_schema(path)
    utf8 = pa.string()
    exif = pa.struct([
        ("captured_at", utf8), ("camera_make", utf8), ("camera_model", utf8), ("lens_model", utf8),
        ("gps_latitude", pa.float64()), ("gps_longitude", pa.float64()), ("iso", pa.uint32()),
        ("aperture", pa.float64()), ("shutter_speed", pa.float64()), ("focal_length", pa.float64()),
        ("orientation", pa.uint8()),
    ])
    tag = pa.struct([("name", utf8), ("confidence", pa.float32()), ("path", utf8)])
    expected = pa.schema([
        pa.field("schema_version", pa.uint32(), nullable=False),
        pa.field("file_path", utf8, nullable=False),
        ("file_name", utf8), ("file_size", pa.int64()), ("file_mtime_ns", pa.int64()),
        ("content_hash", utf8), ("width", pa.uint32()), ("height", pa.uint32()),
        ("format", utf8), ("decoded_from", utf8), ("exif", exif), ("perceptual_hash", utf8),
        ("thumbnail", pa.binary()), ("thumbnail_path", utf8),
        ("embedding", pa.list_(pa.float32(), dim)),
        ("tags", pa.list_(tag)),
        ("model", pa.struct([("id", utf8), ("backend", utf8)])),
        ("error", pa.struct([(n, utf8) for n in ("stage", "kind", "message")])),
        ("errors", pa.list_(pa.struct([(n, utf8) for n in ("stage", "kind", "message")]))),
        ("description", pa.struct(
            [(n, utf8) for n in ("text", "provider", "model", "prompt_hash")]
            + [("input_tokens", pa.uint64()), ("output_tokens", pa.uint64())])),
    ])
    assert schema.remove_metadata().equals(expected), f"schema differs:\n{schema}\nexpected:\n{expected}"
    meta = {k.decode(): v.decode() for k, v in schema.metadata.items() if k != b"ARROW:schema"}
    assert meta["model_id"] == model_id and meta["embedding_dim"] == str(dim), meta
    assert meta["schema_version"] == "1" and meta["photon_version"], meta
    return str(schema.remove_metadata())


def check_duckdb():
    con = duckdb.connect()
    count = con.execute("select count(*) from read_parquet(?)", [path]).fetchone()[0]
    assert count == rows, (count, rows)
    vectors = con.execute(
        "select file_path, embedding from read_parquet(?) where embedding is not null", [path]
    ).fetchall()
    assert len(vectors) == images, (len(vectors), images)
    # DuckDB evaluates the function before the filter drops error rows (whose vector is null),
    # so the images are materialised first.
    nearest = """
        with images as materialized (
            select file_path, embedding from read_parquet(?) where embedding is not null)
        select file_path, list_cosine_similarity(embedding, ?::FLOAT[]) as score
        from images order by score desc limit 1"""
    for file_path, embedding in vectors:
        found, score = con.execute(nearest, [path, embedding]).fetchone()
        assert found == file_path and score > 0.9999, (file_path, found, score)
    return count


def check_lancedb():
    table = pq.read_table(path)
    db = lancedb.connect(tempfile.mkdtemp())
    # Error rows have no vector: LanceDB keeps them, with a null vector, when told so.
    photos = db.create_table("photos", data=table, on_bad_vectors="null")
    assert photos.count_rows() == rows
    with_vectors = table.filter(pa.compute.is_valid(table["embedding"]))
    paths = with_vectors["file_path"].to_pylist()
    vectors = np.array(with_vectors["embedding"].to_pylist(), dtype=np.float32)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    k = min(3, len(paths))
    for i, query in enumerate(vectors):
        brute = [paths[j] for j in np.argsort(-(unit @ unit[i]), kind="stable")[:k]]
        found = (
            photos.search(query, vector_column_name="embedding")
            .distance_type("cosine")
            .where("embedding IS NOT NULL", prefilter=True)
            .limit(k)
            .select(["file_path"])
            .to_arrow()["file_path"]
            .to_pylist()
        )
        assert found[0] == paths[i], (paths[i], found)
        assert found == brute, (paths[i], found, brute)
    return len(paths)


schema = check_schema()
counted = check_duckdb()
searched = check_lancedb()
print(json.dumps({"schema": schema, "duckdb_rows": counted, "lancedb_queries": searched}))
