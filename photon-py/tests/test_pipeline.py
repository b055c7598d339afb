"""`photon.Pipeline`: the same records as the CLI, error rows for bad files, exceptions for bad
arguments, the GIL released while Rust works, and text embeddings."""

import os
import subprocess
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import photon
from conftest import ROOT, TESTDATA, hostile, photos


@pytest.fixture(scope="module")
def pipeline(models_dir):
    return photon.Pipeline(models_dir=models_dir)


def by_path(table):
    return {row["file_path"]: row for row in table.to_pylist()}


def test_the_table_holds_the_clis_records(pipeline, models_dir, photon_cli, tmp_path):
    out = tmp_path / "cli.parquet"
    env = dict(os.environ, PHOTON_MODELS=str(models_dir))
    run = subprocess.run(
        [photon_cli, "process", *photos(), "-o", out, "-q"], env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    cli = by_path(pq.read_table(out))
    table = pipeline.process(photos())
    assert table.schema.equals(pq.read_schema(out), check_metadata=False)
    assert table.schema.metadata[b"model_id"] == pq.read_schema(out).metadata[b"model_id"]
    assert pipeline.model_id.startswith("efficientnet-lite0@")
    ours = by_path(table)
    assert list(ours) == photos(), "one row per path, in order"
    assert ours.keys() == cli.keys()
    for path, row in ours.items():
        expected = cli[path]
        for field in ("content_hash", "file_size", "width", "height", "format", "perceptual_hash", "exif"):
            assert row[field] == expected[field], (path, field)
        assert row["thumbnail"] == expected["thumbnail"], path
        np.testing.assert_allclose(row["embedding"], expected["embedding"], atol=1e-5)
        assert [t["name"] for t in row["tags"]] == [t["name"] for t in expected["tags"]]


def test_hostile_files_become_error_rows(pipeline):
    table = pipeline.process(hostile() + [str(TESTDATA / "no-such-file.jpg")])
    rows = table.to_pylist()
    assert len(rows) == len(hostile()) + 1
    for row in rows[:-1]:
        assert row["error"]["stage"] == "decode", row["file_path"]
        assert row["embedding"] is None and row["width"] is None
    assert rows[-1]["error"]["stage"] == "read"
    assert rows[-1]["error"]["kind"] == "not_found"


def test_bytes_give_the_same_rows_as_files(pipeline):
    files = photos()[:3]
    data = [open(p, "rb").read() for p in files]
    names = [os.path.basename(p) for p in files]
    from_bytes = pipeline.process_bytes(data, names).to_pylist()
    from_files = pipeline.process(files).to_pylist()
    for b, f, name in zip(from_bytes, from_files, names):
        assert b["file_path"] == name
        assert (b["content_hash"], b["width"], b["thumbnail"]) == (f["content_hash"], f["width"], f["thumbnail"])
        np.testing.assert_allclose(b["embedding"], f["embedding"], atol=1e-6)


@pytest.mark.parametrize("binary", [pa.binary(), pa.large_binary(), pa.binary_view()])
def test_arrow_columns_give_the_same_rows_as_lists(pipeline, binary):
    files = photos()[:3]
    data = [open(p, "rb").read() for p in files]
    names = [os.path.basename(p) for p in files]
    from_lists = pipeline.process_bytes(data, names).to_pylist()
    # A table's columns, in two chunks, as a Ray Data batch hands them over.
    table = pa.concat_tables([
        pa.table({"bytes": pa.array(data[:1], binary), "path": pa.array(names[:1], pa.large_string())}),
        pa.table({"bytes": pa.array(data[1:], binary), "path": pa.array(names[1:], pa.large_string())}),
    ])
    assert table.column("bytes").num_chunks == 2
    from_arrow = pipeline.process_bytes(table.column("bytes"), table.column("path")).to_pylist()
    assert [r["file_path"] for r in from_arrow] == names
    for a, b in zip(from_arrow, from_lists):
        assert (a["content_hash"], a["width"], a["thumbnail"]) == (b["content_hash"], b["width"], b["thumbnail"])
        np.testing.assert_array_equal(a["embedding"], b["embedding"])


def test_arrow_nulls_and_wrong_types(pipeline):
    rows = pipeline.process_bytes(pa.array([None, b"not an image"], pa.binary()), pa.array(["a", "b"])).to_pylist()
    assert [r["error"]["stage"] for r in rows] == ["decode", "decode"]
    assert rows[0]["file_size"] == 0
    with pytest.raises(ValueError, match="nulls"):
        pipeline.process_bytes(pa.array([b"x"]), pa.array([None], pa.string()))
    with pytest.raises(TypeError, match="binary array"):
        pipeline.process_bytes(pa.array([1, 2]), ["a", "b"])
    with pytest.raises(TypeError, match="string array"):
        pipeline.process_bytes(pa.array([b"x"]), pa.array([1]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backend": "cuda"}, "backend"),
        ({"device": "gpu"}, "cpu, cuda or cuda:N"),
        ({"thumbnail_size": 0}, "thumbnail_size"),
        ({"parallel": 0}, "parallel"),
        ({"model": "/no/such/model"}, "no model folder"),
        ({"model": str(TESTDATA / "models" / "tiny-clip"), "embedding": False}, "embedding=False"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        photon.Pipeline(**kwargs)


def test_a_gpu_that_cannot_be_used_raises_and_never_falls_back(models_dir):
    # This machine's ONNX Runtime is the CPU build: its CUDA provider cannot register.
    with pytest.raises(RuntimeError, match="(cannot run on cuda:0|no GPU build of ONNX Runtime)"):
        photon.Pipeline(models_dir=str(models_dir), device="cuda")
    with pytest.raises(RuntimeError, match="tract runs on the CPU only"):
        photon.Pipeline(models_dir=str(models_dir), backend="tract", device="cuda")


def test_bad_calls_raise_and_the_pipeline_still_works(pipeline):
    with pytest.raises(ValueError, match="names"):
        pipeline.process_bytes([b"abc"], ["a", "b"])
    with pytest.raises(TypeError):
        pipeline.process(42)
    with pytest.raises(ValueError, match="text tower"):
        pipeline.embed_text(["a cat"])
    assert pipeline.process(photos()[:1]).num_rows == 1


def test_the_gil_is_released_while_a_batch_runs(pipeline):
    ticks = 0
    done = threading.Event()

    def count():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    start = time.monotonic()
    pipeline.process(photos() * 3)
    elapsed = time.monotonic() - start
    done.set()
    counter.join()
    # A thread starved of the GIL would tick a handful of times; a free one about once a
    # millisecond.
    assert ticks > elapsed * 1000 * 0.3, (ticks, elapsed)


def test_text_embeddings_from_a_clip_model(models_dir):
    clip = photon.Pipeline(model=TESTDATA / "models" / "tiny-clip", models_dir=models_dir, tags=False)
    vectors = clip.embed_text(["a photo of a cat", "a photo of a dog", "espresso"])
    assert vectors.dtype == np.float32 and vectors.shape == (3, 24)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    images = clip.process(photos())
    assert images.schema.field("embedding").type.list_size == 24
    # The query ranks images as the CLI's `photon search` does: by cosine.
    scores = np.array(images.column("embedding").to_pylist()) @ vectors[0]
    assert scores.shape == (len(photos()),)


def test_faces_are_the_clis(models_dir, photon_cli, tmp_path):
    """`faces=` adds the face stage: the same faces (box, score, landmarks, embedding) as
    `photon process --face-model`, in the same list-of-struct column."""
    face_model = TESTDATA / "models" / "faces-tiny"
    out = tmp_path / "cli.parquet"
    env = dict(os.environ, PHOTON_MODELS=str(models_dir))
    inputs = [*photos(), str(TESTDATA / "exif" / "hopper_orientation_6.jpg")]
    run = subprocess.run(
        [photon_cli, "process", *inputs, "--face-model", face_model, "--no-embedding", "-o", out, "-q"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    cli = by_path(pq.read_table(out))
    table = photon.Pipeline(models_dir=models_dir, embedding=False, faces=face_model).process(inputs)
    assert table.schema.field("faces").type == pq.read_schema(out).field("faces").type
    assert table.schema.metadata[b"face_embedding_dim"] == b"512"
    found = 0
    for path, row in by_path(table).items():
        want = cli[path]["faces"]
        assert len(row["faces"]) == len(want), path
        for face, expected in zip(row["faces"], want):
            np.testing.assert_allclose(face["box"], expected["box"], atol=1e-3)
            np.testing.assert_allclose(np.array(face["landmarks"]), np.array(expected["landmarks"]), atol=1e-3)
            assert abs(face["score"] - expected["score"]) < 1e-5
            assert abs(np.dot(face["embedding"], expected["embedding"]) - 1) < 1e-4
            found += 1
    assert found >= 10, found
    with pytest.raises(ValueError, match="face_min_score"):
        photon.Pipeline(embedding=False, faces=face_model, face_min_score=1.5)
    with pytest.raises(ValueError, match="no face model folder"):
        photon.Pipeline(embedding=False, faces="/no/such/faces")
