"""A Ray Data job on a local cluster: read_binary_files -> map_batches(photon.ray.Photon) on two
actors -> write_parquet gives the CLI's rows."""

import os
import subprocess

import numpy as np
import pyarrow.parquet as pq
import pytest
import ray

import photon.ray
from conftest import hostile, photos


@pytest.fixture(scope="module")
def local_cluster():
    # Four logical CPUs on two cores: the read tasks and two one-CPU actors need more than two,
    # or the job waits forever for a free CPU.
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_a_ray_data_job_gives_the_clis_rows(local_cluster, models_dir, photon_cli, tmp_path):
    inputs = photos() + hostile()
    cli_out = tmp_path / "cli.parquet"
    env = dict(os.environ, PHOTON_MODELS=str(models_dir))
    run = subprocess.run([photon_cli, "process", *inputs, "-o", cli_out, "-q"], env=env, capture_output=True, text=True)
    assert run.returncode == 1, run.stderr  # the hostile files fail
    cli = {os.path.basename(r["file_path"]): r for r in pq.read_table(cli_out).to_pylist()}

    records = ray.data.read_binary_files(inputs, include_paths=True).map_batches(
        photon.ray.Photon,
        fn_constructor_kwargs={"models_dir": str(models_dir)},
        compute=ray.data.ActorPoolStrategy(size=2),
        num_cpus=1,
        batch_size=4,
        batch_format="pyarrow",
    )
    out = tmp_path / "ray"
    records.write_parquet(str(out))
    table = pq.read_table(out)
    assert table.num_rows == len(inputs)
    rows = {os.path.basename(r["file_path"]): r for r in table.to_pylist()}
    assert rows.keys() == cli.keys()
    for name, row in rows.items():
        expected = cli[name]
        assert row["content_hash"] == expected["content_hash"], name
        assert (row["error"] or {}).get("kind") == (expected["error"] or {}).get("kind"), name
        if expected["embedding"] is not None:
            assert (row["width"], row["height"]) == (expected["width"], expected["height"])
            np.testing.assert_allclose(row["embedding"], expected["embedding"], atol=1e-5)


def test_the_actor_takes_its_cpu_allotment_for_threads(models_dir):
    # Outside Ray the allotment is one CPU; the callable still works on a plain table.
    actor = photon.ray.Photon(models_dir=str(models_dir), embedding=False)
    import pyarrow as pa

    batch = pa.table({"bytes": [open(p, "rb").read() for p in photos()[:2]], "path": photos()[:2]})
    out = actor(batch)
    assert out.column("file_path").to_pylist() == photos()[:2]
    assert out.schema.equals(actor.schema)
