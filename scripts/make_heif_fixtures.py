#!/usr/bin/env python3
"""Writes testdata/heif/: small HEIC and AVIF files as phones write them, from testdata/exif/hopper.jpg.

The upright picture is hopper's middle, 96x128 (portrait). Each file must decode to it:
- rot_exif6.heic (pillow-heif, x265): stored 128x96 with an `irot` that turns it upright, and an
  EXIF block that also says orientation 6, as an iPhone writes it: the picture must be turned
  once, by the container, never a second time by EXIF;
- rot_exif6.avif (Pillow, libavif/aom): the same in AVIF;
- grid_thumb.heic: a 192x256 version stored as a grid of 64 px tiles, with a 64 px thumbnail item;
- tenbit.heic: 10 bits per sample.

Needs pillow and pillow-heif (pip install pillow pillow-heif). Run from the repository root; the
outputs are committed.
"""
import struct
from pathlib import Path

import pillow_heif
from PIL import Image

OUT = Path("testdata/heif")
UPRIGHT = Image.open("testdata/exif/hopper.jpg").convert("RGB").crop((16, 0, 112, 128))


def exif_orientation_6():
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 13"
    return exif.tobytes()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    pillow_heif.register_heif_opener()
    stored = UPRIGHT.transpose(Image.Transpose.ROTATE_90)  # EXIF 6 turns it back
    stored.save(OUT / "rot_exif6.heic", exif=exif_orientation_6(), quality=92)
    stored.save(OUT / "rot_exif6.avif", exif=exif_orientation_6(), quality=92)

    pillow_heif.options.GRID_TILE_SIZE = 64
    UPRIGHT.resize((192, 256)).save(OUT / "grid_thumb.heic", quality=90, thumbnails=[64])
    pillow_heif.options.GRID_TILE_SIZE = 512

    # 16-bit samples in, 10-bit HEIC out (pillow-heif's default for deep images).
    deep = b"".join(struct.pack("<H", v * 257) for v in UPRIGHT.tobytes())
    pillow_heif.from_bytes(mode="RGB;16", size=UPRIGHT.size, data=deep).save(OUT / "tenbit.heic", quality=92)
    for path in sorted(OUT.iterdir()):
        print(path, path.stat().st_size)


if __name__ == "__main__":
    main()
