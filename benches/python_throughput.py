"""Photon from Python against the CLI on the throughput bench's 1024x768 photos (EfficientNet-Lite0,
every stage), release builds, side by side in one run:

- `photon process` (two sessions of one thread), wall time from the command's start, model
  loading included, and its summary's images/s, which counts from the end of model loading;
- `photon.Pipeline.process` over the same paths, timed around the call (the pipeline is built
  first, as the CLI loads its model first);
- a Ray Data job on a local cluster (`ray.init` is not timed: the cluster exists before a job):
  read_binary_files -> map_batches(photon.ray.Photon) on two one-CPU actors (files read in
  two blocks per actor) -> write_parquet, wall time from the job's start, the actors' start-up
  included.

Ray's cost has two parts, measured apart:
- start-up, a fixed cost per job: a job over 32 images, most of it Ray starting the actors;
- per batch, the rest: (Ray wall - CLI wall - start-up) / batches on the largest corpus.

Both corpora are the 48 photos of 1024x768 `benches/throughput.sh` makes, repeated: 480 files
(`corpus-x10-small`) and 2400 (`corpus-x50-small`, hard links made here).

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
BENCH = ROOT / "target/bench"


def corpus(copies):
    """`copies` hard-linked copies of the 48 photos of 1024x768, one folder per copy."""
    source = sorted((BENCH / "corpus/1024x768").glob("*.jpg"))
    assert len(source) == 48, f"{BENCH}/corpus/1024x768: run benches/throughput.sh first"
    folder = BENCH / f"corpus-x{copies}-small"
    for copy in range(copies):
        sub = folder / f"{copy:02}"
        sub.mkdir(parents=True, exist_ok=True)
        for photo in source:
            if not (sub / photo.name).exists():
                os.link(photo, sub / photo.name)
    return sorted(str(p) for p in folder.rglob("*.jpg"))


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


def ray_job(files, models, out, batch_size):
    import ray
    import photon.ray
    actors = 2
    start = time.monotonic()
    ray.data.read_binary_files(
        files, include_paths=True, override_num_blocks=2 * actors
    ).map_batches(
        photon.ray.Photon, fn_constructor_kwargs={"models_dir": str(models)},
        compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=1, batch_size=batch_size,
        batch_format="pyarrow").write_parquet(out)
    wall = time.monotonic() - start
    written = sum(pq_rows(p) for p in pathlib.Path(out).glob("*.parquet"))
    assert written == len(files), (written, len(files))
    return wall


def pq_rows(path):
    import pyarrow.parquet as pq
    return pq.ParquetFile(path).metadata.num_rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--photon", default=str(ROOT / "target/release/photon"))
    parser.add_argument("--models", default=os.environ.get("PHOTON_MODELS", str(ROOT / "models")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    corpora = {480: corpus(10), 2400: corpus(50)}
    import ray
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False)
    # Blocks of about a batch, as examples/ray_embed.py sets, so the actors end together.
    ray.data.DataContext.get_current().target_max_block_size = 8 << 20
    rows = {n: {"cli": [], "cli_rate": [], "py": [], "ray": []} for n in corpora}
    startups = []
    with tempfile.TemporaryDirectory() as tmp:
        ray_job(corpora[480][:32], args.models, f"{tmp}/warm-up", args.batch_size)
        for round_ in range(args.rounds):
            for n, files in corpora.items():
                rate, wall = cli(args.photon, files, args.models, f"{tmp}/cli.parquet")
                py = python(files, args.models) if n == 480 else float("nan")
                ray_wall = ray_job(files, args.models, f"{tmp}/ray-{n}-{round_}", args.batch_size)
                print(f"round {round_ + 1}, {n} files: CLI {rate:.1f} images/s ({wall:.2f} s wall), "
                      f"Pipeline.process {py:.1f} images/s, Ray job {ray_wall:.2f} s wall", flush=True)
                for key, value in (("cli", wall), ("cli_rate", rate), ("py", py), ("ray", ray_wall)):
                    rows[n][key].append(value)
            startups.append(ray_job(corpora[480][:32], args.models, f"{tmp}/start-{round_}", args.batch_size))
            print(f"round {round_ + 1}: Ray job over 32 images {startups[-1]:.2f} s", flush=True)
    median = {n: {k: statistics.median(v) for k, v in r.items()} for n, r in rows.items()}
    startup = statistics.median(startups)
    print(f"median: Pipeline.process / CLI = {median[480]['py'] / median[480]['cli_rate']:.3f}")
    for n, m in median.items():
        print(f"median, {n} files: Ray job {n / m['ray']:.1f} images/s over its wall time, CLI "
              f"{n / m['cli']:.1f} over its own: Ray / CLI = {m['cli'] / m['ray']:.3f}")
    big = max(median)
    batches = -(-big // args.batch_size)
    per_batch = (median[big]["ray"] - median[big]["cli"] - startup) / batches
    print(f"median: Ray start-up (a job over 32 images) {startup:.2f} s; beyond it, "
          f"{1000 * per_batch:.1f} ms per batch of {args.batch_size} over the CLI")


if __name__ == "__main__":
    main()
