#!/usr/bin/env python3
"""Camera raw fixtures: DNGs built from a real photo's pixels turned into Bayer sensor data, and
what LibRaw (rawpy), the reference raw reader, develops from them.

    python3 scripts/make_raw_fixtures.py [OUT_DIR]   (default testdata/raw)

- plain.dng: the sensor data alone (RGGB, 16-bit, linear), 256x192, camera make and model in
  IFD0, exposure time, f-number and ISO in its EXIF directory; nothing to show but the raw.
- preview.dng: the layout cameras and converters write: IFD0 is a 128x96 8-bit RGB preview
  (NewSubFileType 1) with Orientation 6 (the camera held upright), the sensor data in a SubIFD.
- jpeg_preview.dng: the same with a full-size 256x192 JPEG preview (Compression 7), as most
  cameras' DNGs carry, and Orientation 8.
- unknown_camera.nef: a Nikon raw from a camera model no raw library knows (NIKON Z 99), with
  the camera's 256x192 JPEG (JPEGInterchangeFormat in IFD0) and Orientation 6: what a brand-new
  camera's files look like to a reader.

The camera's colour space is linear sRGB (ColorMatrix1 is XYZ to linear sRGB under D65, the
white balance neutral), so a correct develop gives back the photo. `expected.tsv` holds LibRaw's
development of each (upright size, mean of each channel). Needs numpy, Pillow and rawpy.
"""
import io
import os
import struct
import sys

import numpy as np
import rawpy
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SOURCE = os.path.join(ROOT, "testdata", "photos", "dog.jpg")
XYZ_TO_LINEAR_SRGB = [
    [3.2404542, -1.5371385, -0.4985314],
    [-0.9692660, 1.8760108, 0.0415560],
    [0.0556434, -0.2040259, 1.0572252],
]

BYTE, ASCII, SHORT, LONG, RATIONAL, SRATIONAL = 1, 2, 3, 4, 5, 10
FORMATS = {BYTE: "B", ASCII: "B", SHORT: "H", LONG: "I"}


class TiffWriter:
    """A little-endian TIFF assembled in memory: blobs first, directories after them."""

    def __init__(self):
        self.buf = bytearray(b"II*\0\0\0\0\0")

    def blob(self, data):
        if len(self.buf) % 2:
            self.buf += b"\0"
        at = len(self.buf)
        self.buf += data
        return at

    def value(self, kind, values):
        if kind == ASCII:
            return values.encode() + b"\0", len(values) + 1
        if kind in (RATIONAL, SRATIONAL):
            code = "i" if kind == SRATIONAL else "I"
            data = b"".join(struct.pack("<" + code * 2, round(v * 10000), 10000) for v in values)
            return data, len(values)
        return struct.pack("<%d%s" % (len(values), FORMATS[kind]), *values), len(values)

    def directory(self, entries):
        """Writes one IFD (entries: tag -> (type, values)) and returns its offset."""
        packed = []
        for tag in sorted(entries):
            kind, values = entries[tag]
            data, count = self.value(kind, values)
            if len(data) <= 4:
                field = data.ljust(4, b"\0")
            else:
                field = struct.pack("<I", self.blob(data))
            packed.append(struct.pack("<HHI", tag, kind, count) + field)
        at = self.blob(struct.pack("<H", len(packed)) + b"".join(packed) + b"\0\0\0\0")
        return at

    def finish(self, first_directory):
        self.buf[4:8] = struct.pack("<I", first_directory)
        return bytes(self.buf)


def linear(srgb):
    x = srgb / 255.0
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def bayer(rgb_linear):
    """RGGB mosaic, 16-bit, white at 60000 of 65535."""
    h, w, _ = rgb_linear.shape
    mosaic = np.empty((h, w), dtype=np.float64)
    mosaic[0::2, 0::2] = rgb_linear[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = rgb_linear[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = rgb_linear[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = rgb_linear[1::2, 1::2, 2]
    return np.clip(mosaic * 60000, 0, 65535).astype("<u2")


def raw_entries(tiff, mosaic, subfile_type):
    h, w = mosaic.shape
    strip = tiff.blob(mosaic.tobytes())
    return {
        254: (LONG, [subfile_type]),
        256: (LONG, [w]),
        257: (LONG, [h]),
        258: (SHORT, [16]),
        259: (SHORT, [1]),
        262: (SHORT, [32803]),
        273: (LONG, [strip]),
        277: (SHORT, [1]),
        278: (LONG, [h]),
        279: (LONG, [mosaic.nbytes]),
        284: (SHORT, [1]),
        33421: (SHORT, [2, 2]),
        33422: (BYTE, [0, 1, 1, 2]),
        50717: (LONG, [60000]),
    }


def camera_entries(tiff, orientation):
    exif = tiff.directory({
        33434: (RATIONAL, [1 / 125]),
        33437: (RATIONAL, [2.8]),
        34855: (SHORT, [200]),
    })
    return {
        271: (ASCII, "Photon"),
        272: (ASCII, "Bayer Test Camera"),
        274: (SHORT, [orientation]),
        34665: (LONG, [exif]),
        50706: (BYTE, [1, 4, 0, 0]),
        50707: (BYTE, [1, 1, 0, 0]),
        50708: (ASCII, "Photon Bayer Test Camera"),
        50721: (SRATIONAL, [v for row in XYZ_TO_LINEAR_SRGB for v in row]),
        50728: (RATIONAL, [1.0, 1.0, 1.0]),
        50778: (SHORT, [21]),
    }


def plain_dng(photo):
    tiff = TiffWriter()
    entries = raw_entries(tiff, bayer(linear(photo)), 0)
    entries.update(camera_entries(tiff, 1))
    return tiff.finish(tiff.directory(entries))


def preview_dng(photo, preview):
    tiff = TiffWriter()
    raw = tiff.directory(raw_entries(tiff, bayer(linear(photo)), 0))
    h, w, _ = preview.shape
    strip = tiff.blob(preview.astype(np.uint8).tobytes())
    entries = {
        254: (LONG, [1]),
        256: (LONG, [w]),
        257: (LONG, [h]),
        258: (SHORT, [8, 8, 8]),
        259: (SHORT, [1]),
        262: (SHORT, [2]),
        273: (LONG, [strip]),
        277: (SHORT, [3]),
        278: (LONG, [h]),
        279: (LONG, [preview.nbytes]),
        284: (SHORT, [1]),
        330: (LONG, [raw]),
    }
    entries.update(camera_entries(tiff, 6))
    return tiff.finish(tiff.directory(entries))


def jpeg_preview_dng(photo, preview_jpeg, size):
    """IFD0 a baseline JPEG preview (Compression 7), as most cameras' DNGs have it."""
    tiff = TiffWriter()
    raw = tiff.directory(raw_entries(tiff, bayer(linear(photo)), 0))
    w, h = size
    strip = tiff.blob(preview_jpeg)
    entries = {
        254: (LONG, [1]),
        256: (LONG, [w]),
        257: (LONG, [h]),
        258: (SHORT, [8, 8, 8]),
        259: (SHORT, [7]),
        262: (SHORT, [6]),
        273: (LONG, [strip]),
        277: (SHORT, [3]),
        278: (LONG, [h]),
        279: (LONG, [len(preview_jpeg)]),
        284: (SHORT, [1]),
        330: (LONG, [raw]),
    }
    entries.update(camera_entries(tiff, 8))
    return tiff.finish(tiff.directory(entries))


def unknown_camera_nef(photo, preview_jpeg):
    """A Nikon raw from a camera no raw library knows yet: IFD0 a reduced-resolution image whose
    JPEGInterchangeFormat is the camera's full-size JPEG, Orientation 6, the sensor data in a
    SubIFD."""
    tiff = TiffWriter()
    raw = tiff.directory(raw_entries(tiff, bayer(linear(photo)), 0))
    jpeg = tiff.blob(preview_jpeg)
    entries = {
        254: (LONG, [1]),
        256: (LONG, [256]),
        257: (LONG, [192]),
        271: (ASCII, "NIKON CORPORATION"),
        272: (ASCII, "NIKON Z 99"),
        274: (SHORT, [6]),
        330: (LONG, [raw]),
        513: (LONG, [jpeg]),
        514: (LONG, [len(preview_jpeg)]),
    }
    return tiff.finish(tiff.directory(entries))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "testdata", "raw")
    os.makedirs(out, exist_ok=True)
    photo = Image.open(SOURCE).convert("RGB")
    full = np.asarray(photo.resize((256, 192), Image.LANCZOS), dtype=np.float64)
    small = np.asarray(photo.resize((128, 96), Image.LANCZOS))
    jpeg = io.BytesIO()
    photo.resize((256, 192), Image.LANCZOS).save(jpeg, format="JPEG", quality=90)
    files = {
        "plain.dng": plain_dng(full),
        "preview.dng": preview_dng(full, small),
        "jpeg_preview.dng": jpeg_preview_dng(full, jpeg.getvalue(), (256, 192)),
    }
    unknown = {"unknown_camera.nef": unknown_camera_nef(full, jpeg.getvalue())}
    lines = ["file\twidth\theight\tmean_r\tmean_g\tmean_b"]
    for name, data in files.items():
        path = os.path.join(out, name)
        with open(path, "wb") as f:
            f.write(data)
        with rawpy.imread(path) as raw:
            rgb = raw.postprocess(use_camera_wb=True, no_auto_bright=True, output_bps=8)
        means = rgb.reshape(-1, 3).mean(axis=0)
        lines.append(f"{name}\t{rgb.shape[1]}\t{rgb.shape[0]}\t" + "\t".join(f"{m:.2f}" for m in means))
    for name, data in unknown.items():  # LibRaw does not know the camera either
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    with open(os.path.join(out, "expected.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
