#!/usr/bin/env python3
"""Which photo-format files Pillow decodes and Photon refuses (or the other way round).

    scripts/compare_with_pillow.py PHOTON_BIN FOLDER...

Walks the folders for the extensions both read, decodes each file with Pillow (`load()`, first
frame) and runs `photon process --no-embedding --no-tagging` on the same files, then prints
every file where the two disagree, with Photon's error, and the counts. The corpus the issue
was measured on is a public set of real-world image variants; Pillow's own `Tests/images`
(in its PyPI sdist) is one such set.
"""
import json
import os
import subprocess
import sys
import tempfile

from PIL import Image

EXTENSIONS = {
    "jpg", "jpeg", "jpe", "jfif", "png", "apng", "webp", "gif", "bmp", "dib", "tif", "tiff",
    "mpo", "heic", "heif", "hif", "avif", "jxl", "tga", "ppm", "pgm", "pbm", "pnm", "qoi",
    "ico", "dds", "hdr", "exr",
}

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:
    pass
try:
    import pillow_jxl  # noqa: F401 - registers the JPEG XL plugin
except ImportError:
    pass


def pillow_reads(path):
    try:
        with Image.open(path) as image:
            image.load()
        return True
    except Exception:  # noqa: BLE001 - any failure is "Pillow refuses it"
        return False


def main():
    photon, folders = sys.argv[1], sys.argv[2:]
    files = sorted(
        os.path.join(root, name)
        for folder in folders
        for root, _, names in os.walk(folder)
        for name in names
        if name.rsplit(".", 1)[-1].lower() in EXTENSIONS
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.jsonl")
        listing = os.path.join(tmp, "files")
        subprocess.run(
            [photon, "process", *files, "-o", out, "--no-embedding", "--no-tagging",
             "--no-thumbnail", "--quiet"],
            check=False,
        )
        records = {}
        with open(out) as f:
            for line in f:
                record = json.loads(line)
                records[record["file_path"]] = record
    refused, extra, both = [], [], 0
    for path in files:
        record = records.get(os.path.abspath(path)) or records.get(path)
        ours = record is not None and "error" not in record
        theirs = pillow_reads(path)
        if theirs and not ours:
            error = record["error"] if record else "no record"
            refused.append((path, error))
        elif ours and not theirs:
            extra.append(path)
        elif ours:
            both += 1
    for path, error in refused:
        print(f"REFUSED {path}: {error}")
    for path in extra:
        print(f"ONLY-PHOTON {path}")
    pillow_total = both + len(refused)
    print(f"{len(files)} files; Pillow decodes {pillow_total}; Photon refuses {len(refused)} of "
          f"them ({100 * len(refused) / max(pillow_total, 1):.1f}%); Photon alone decodes {len(extra)}")


if __name__ == "__main__":
    main()
