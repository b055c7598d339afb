#!/usr/bin/env python3
"""Writes testdata/orientation/: hopper stored rotated, with EXIF orientation 6 in the containers
and encodings that real writers use, so each must come out as the upright testdata/exif/hopper.jpg.

- webp_exif_chunk.webp: lossless WebP, EXIF chunk as the WebP spec has it (TIFF header first);
- webp_exif_prefixed.webp: the same with the chunk starting with JPEG's `Exif\\0\\0` header
  (ImageMagick and some phones write it so);
- jpeg_orientation_long_le.jpg / _be.jpg: Orientation stored as a LONG, little and big endian;
- tiff_orientation.tif: the TIFF tag itself;
- stereo.mpo: a Multi-Picture Object (APP2 `MPF`) whose first image is the one above at
  orientation 6 and whose second is another picture.

Needs Pillow (pip install pillow). Run from the repository root; the outputs are committed.
"""
import io
import struct
from pathlib import Path

from PIL import Image

OUT = Path("testdata/orientation")
ROTATED = Image.open("testdata/exif/hopper_orientation_6.jpg").convert("RGB")  # stored pixels


def tiff_orientation(value, endian, type_code):
    """A one-entry IFD0 holding Orientation as `type_code` (3 SHORT, 4 LONG)."""
    e = "<" if endian == "II" else ">"
    if type_code == 3:
        packed = struct.pack(e + "HH", value, 0)
    else:
        packed = struct.pack(e + "I", value)
    entry = struct.pack(e + "HHI", 0x0112, type_code, 1) + packed
    return endian.encode() + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 1) + entry + struct.pack(e + "I", 0)


def riff_chunks(data):
    at, chunks = 12, []
    while at + 8 <= len(data):
        fourcc, size = data[at:at + 4], struct.unpack("<I", data[at + 4:at + 8])[0]
        chunks.append((fourcc, data[at + 8:at + 8 + size]))
        at += 8 + size + (size & 1)
    return chunks


def riff(chunks):
    body = b"".join(f + struct.pack("<I", len(b)) + b + (b"\0" if len(b) & 1 else b"") for f, b in chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def with_app1(jpeg, tiff):
    payload = b"Exif\0\0" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    exif = b"Exif\0\0" + tiff_orientation(6, "II", 3)
    buffer = io.BytesIO()
    ROTATED.save(buffer, "WEBP", lossless=True, exif=exif)
    webp = buffer.getvalue()
    (OUT / "webp_exif_chunk.webp").write_bytes(webp)
    prefixed = [(f, b"Exif\0\0" + b if f == b"EXIF" and not b.startswith(b"Exif") else b) for f, b in riff_chunks(webp)]
    (OUT / "webp_exif_prefixed.webp").write_bytes(riff(prefixed))

    buffer = io.BytesIO()
    ROTATED.save(buffer, "JPEG", quality=95)
    plain = buffer.getvalue()
    (OUT / "jpeg_orientation_long_le.jpg").write_bytes(with_app1(plain, tiff_orientation(6, "II", 4)))
    (OUT / "jpeg_orientation_long_be.jpg").write_bytes(with_app1(plain, tiff_orientation(6, "MM", 4)))

    ROTATED.save(OUT / "tiff_orientation.tif", tiffinfo={0x0112: 6})

    second = Image.open("testdata/exif/hopper.jpg").convert("RGB").transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    ROTATED.save(OUT / "stereo.mpo", "MPO", save_all=True, append_images=[second], quality=95, exif=exif)
    for path in sorted(OUT.iterdir()):
        print(path, path.stat().st_size)


if __name__ == "__main__":
    main()
