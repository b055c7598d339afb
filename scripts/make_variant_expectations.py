#!/usr/bin/env python3
"""What Pillow reads from each file in testdata/variants: the reference the variants test holds
Photon to (size, and the mean of each RGB channel of the first frame).

    python3 scripts/make_variant_expectations.py > testdata/variants/expected.tsv

The files come from Pillow's own test images (its PyPI sdist, `Tests/images/`, MIT-CMU licence):
TIFFs as archives, scanners and old tools write them, and the corner cases of other formats that
Pillow reads and naive decoders refuse.
"""
import os
import sys

from PIL import Image

FOLDER = os.path.join(os.path.dirname(__file__), "..", "testdata", "variants")

print("file\twidth\theight\tmean_r\tmean_g\tmean_b")
for name in sorted(os.listdir(FOLDER)):
    if name.endswith((".tsv", ".md")):
        continue
    with Image.open(os.path.join(FOLDER, name)) as image:
        image.load()
        rgb = image.convert("RGB")
        pixels = rgb.width * rgb.height
        means = [
            sum(level * count for level, count in enumerate(band.histogram())) / pixels
            for band in rgb.split()
        ]
        print(f"{name}\t{rgb.width}\t{rgb.height}\t" + "\t".join(f"{m:.2f}" for m in means))
sys.stdout.flush()
