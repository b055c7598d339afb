#!/usr/bin/env python3
"""Writes testdata/jxl/: JPEG XL files from testdata/exif/hopper.jpg (its middle, 96x128, upright).

- exif6.jxl: lossless, in the container with an `Exif` box (camera Apple, orientation 6). The
  codestream's own orientation is 1 and is authoritative in JPEG XL, so the picture must come
  out as it is stored, never turned by the EXIF value;
- lossy.jxl: a lossy (VarDCT) bare codestream.

Needs pillow and pillow-jxl-plugin (pip install pillow pillow-jxl-plugin). Run from the
repository root; the outputs are committed.
"""
from pathlib import Path

import pillow_jxl  # noqa: F401  (registers the JPEG XL plugin)
from PIL import Image

OUT = Path("testdata/jxl")
UPRIGHT = Image.open("testdata/exif/hopper.jpg").convert("RGB").crop((16, 0, 112, 128))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Apple"
    UPRIGHT.save(OUT / "exif6.jxl", lossless=True, exif=exif.tobytes())
    UPRIGHT.save(OUT / "lossy.jxl", quality=90)
    for path in sorted(OUT.iterdir()):
        print(path, path.stat().st_size, path.read_bytes()[:12])


if __name__ == "__main__":
    main()
