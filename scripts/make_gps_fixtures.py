#!/usr/bin/env python3
"""Generate testdata/exif/gps_paris.jpg and gps_rio.jpg: small JPEGs whose EXIF holds a valid GPS
position, north-east (the Eiffel Tower) and south-west (Christ the Redeemer), as degrees,
minutes and seconds rationals with their N/S and E/W references, the way cameras and phones
write them. Their rows in testdata/expected_exif.tsv come from exiftool (`exiftool -n`), an
independent reader.

Usage: make_gps_fixtures.py TESTDATA_DIR   (needs Pillow)
"""
import os
import sys
from fractions import Fraction

from PIL import Image
from PIL.ExifTags import GPS, IFD, Base

PLACES = {
    "gps_paris.jpg": ((48, 51, Fraction(296, 10)), "N", (2, 17, Fraction(402, 10)), "E", (120, 180, 60)),
    "gps_rio.jpg": ((22, 57, Fraction(69, 10)), "S", (43, 12, Fraction(377, 10)), "W", (60, 200, 90)),
}


def main(testdata):
    for name, (lat, lat_ref, lon, lon_ref, colour) in PLACES.items():
        image = Image.new("RGB", (16, 12), colour)
        exif = Image.Exif()
        exif[Base.Make] = "Photon"
        exif[Base.Model] = "GPS fixture"
        exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "2024:05:01 12:00:00"
        gps = exif.get_ifd(IFD.GPSInfo)
        gps[GPS.GPSVersionID] = b"\x02\x03\x00\x00"
        gps[GPS.GPSLatitudeRef] = lat_ref
        gps[GPS.GPSLatitude] = tuple(float(v) for v in lat)
        gps[GPS.GPSLongitudeRef] = lon_ref
        gps[GPS.GPSLongitude] = tuple(float(v) for v in lon)
        image.save(os.path.join(testdata, "exif", name), exif=exif, quality=90)


if __name__ == "__main__":
    main(sys.argv[1])
