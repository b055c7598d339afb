"""Photon from Python against the CLI on the throughput bench's 1024x768 corpus (480 files,
EfficientNet-Lite0, every stage), release builds, side by side in one run:

- `photon process` (two sessions of one thread): its summary's images/s, which counts from the
  end of model loading, and its wall time;
- `photon.Pipeline.process` over the same paths, timed around the call (the pipeline is built
  first, as the CLI loads its model first);
- a Ray Data job on a local cluster: read_binary_files -> map_batches(photon.ray.Photon) on two
  one-CPU actors (files read in 4 blocks) -> write_parquet, wall time from the job's start,
  actors' start-up included;
  the per-batch overhead is the job's wall time beyond the CLI's, per batch.

Usage: python benches/python_throughput.py [--photon target/release/photon] [--rounds 3]
(with the `photon` package built in release: `maturin develop --release -m photon-py/Cargo.toml`).
"""

import argparse
import os
import pathlib
import re
import statistics
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def cli(binary, files, models, out):
    start = time.monotonic()
    run = subprocess.run(
        [binary, "process", *files, "--sessions", "2", "--threads", "1", "-o", out],
        env=dict(os.environ, PHOTON_MODELS=str(models)), capture_output=True, text=True, check=True)
    wall = time.monotonic() - start
    rate = float(re.search(r"\(([0-9.]+) images/s\)", run.stderr).group(1))
    return rate, wall


def python(files, models):
    import photon
    pipeline = photon.Pipeline(models_dir=models)
    start = time.monotonic()
    table = pipeline.process(files)
    assert table.num_rows == len(files)
    return len(files) / (time.monotonic() - start)


def ray_job(files, models, out, batch_size, blocks):
    import ray
    import photon.ray
    start = time.monotonic()
    ray.data.read_binary_files(files, include_paths=True, override_num_blocks=blocks).map_batches(
        photon.ray.Photon, fn_constructor_kwargs={"models_dir": str(models)},
        compute=ray.data.ActorPoolStrategy(size=2), num_cpus=1, batch_size=batch_size,
        batch_format="pyarrow").write_parquet(out)
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--photon", default=str(ROOT / "target/release/photon"))
    parser.add_argument("--models", default=os.environ.get("PHOTON_MODELS", str(ROOT / "models")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--blocks", type=int, default=4, help="read blocks (2 per actor)")
    args = parser.parse_args()
    corpus = ROOT / "target/bench/corpus-x10-small"
    files = sorted(str(p) for p in corpus.rglob("*") if p.is_file())
    assert len(files) == 480, f"{corpus}: run benches/throughput.sh first"
    import ray
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False)
    cli_rates, cli_walls, py_rates, ray_walls = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            rate, wall = cli(args.photon, files, args.models, f"{tmp}/cli.parquet")
            py = python(files, args.models)
            ray_wall = ray_job(files, args.models, f"{tmp}/ray{round_}", args.batch_size, args.blocks)
            print(f"round {round_ + 1}: CLI {rate:.1f} images/s ({wall:.1f} s wall), "
                  f"Pipeline.process {py:.1f} images/s, Ray job {ray_wall:.1f} s wall")
            cli_rates.append(rate); cli_walls.append(wall); py_rates.append(py); ray_walls.append(ray_wall)
    cli_rate, cli_wall = statistics.median(cli_rates), statistics.median(cli_walls)
    py_rate, ray_wall = statistics.median(py_rates), statistics.median(ray_walls)
    batches = -(-len(files) // args.batch_size)
    print(f"median: Pipeline.process / CLI = {py_rate / cli_rate:.3f}")
    print(f"median: Ray job {len(files) / ray_wall:.1f} images/s over its wall time, CLI "
          f"{len(files) / cli_wall:.1f} over its own: Ray / CLI = {cli_wall / ray_wall:.3f}; "
          f"overhead {1000 * (ray_wall - cli_wall) / batches:.0f} ms per batch of {args.batch_size}")


if __name__ == "__main__":
    main()
