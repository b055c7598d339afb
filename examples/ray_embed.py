"""Embed a folder (or bucket) of images on a Ray cluster and write Photon's records as Parquet.

    python examples/ray_embed.py INPUT OUTPUT [--actors N] [--models-dir DIR] [--address auto]

INPUT is any path Ray's readers take (a folder, a glob, s3://..., gs://...); OUTPUT a folder of
Parquet files in the schema of `photon process -o out.parquet`. On one machine the script
starts a local cluster; with `--address auto` it joins the one `ray start` made. See
docs/scale-out.md.
"""

import argparse
import os

import ray

import photon.ray


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--actors", type=int, default=2, help="Photon actors (one CPU each)")
    parser.add_argument("--models-dir", default=os.environ.get("PHOTON_MODELS", "models"))
    parser.add_argument("--address", default=None, help='"auto" to join a running cluster')
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    if args.address:
        ray.init(address=args.address)
    else:
        # Logical CPUs beyond the cores: the read tasks need some beside the actors.
        ray.init(num_cpus=max(4, args.actors + 2), include_dashboard=False)
    # A few read tasks per actor: left to itself, Ray makes a read task per few files, whose
    # scheduling costs more than the reading. Each task cuts its output into small blocks (about
    # a batch of photos), so the actors share the work evenly to the end rather than one of them
    # finishing a big block alone (docs/benchmarks.md).
    ray.data.DataContext.get_current().target_max_block_size = 8 << 20
    files = ray.data.read_binary_files(
        args.input, include_paths=True, override_num_blocks=2 * args.actors
    )
    records = files.map_batches(
        photon.ray.Photon,
        fn_constructor_kwargs={"models_dir": os.path.abspath(args.models_dir)},
        compute=ray.data.ActorPoolStrategy(size=args.actors),
        num_cpus=1,
        batch_size=args.batch_size,
        batch_format="pyarrow",
    )
    records.write_parquet(args.output)
    print(f"records written to {args.output}")


if __name__ == "__main__":
    main()
