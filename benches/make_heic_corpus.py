#!/usr/bin/env python3
"""The HEIC bench corpus: every JPEG of SRC re-encoded as HEIC, the way a phone stores a photo.

    python3 benches/make_heic_corpus.py SRC_DIR DST_DIR

pillow-heif (libheif with x265) at quality 85, 4:2:0, with a 320x240 thumbnail item as iPhones
write one, and the JPEG's EXIF block carried over. Files already in DST_DIR are kept.
"""
import os
import sys

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()


def main():
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        if not name.lower().endswith(".jpg"):
            continue
        out = os.path.join(dst, name[:-4] + ".heic")
        if os.path.exists(out):
            continue
        with Image.open(os.path.join(src, name)) as image:
            exif = image.info.get("exif")
            partial = out + ".part"
            image.save(partial, format="HEIF", quality=85, thumbnails=[320], exif=exif)
            os.replace(partial, out)


if __name__ == "__main__":
    main()
