//! Arbitrary bytes through both decoders, the EXIF/XMP readers, orientation and the perceptual
//! hash (`photon_decode::fuzzing::decode_bytes`).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| photon_decode::fuzzing::decode_bytes(bytes));
