//! Arbitrary bytes as an earlier run's JSON Lines output (`photon_decode::fuzzing::read_resume`).
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| photon_decode::fuzzing::read_resume(bytes));
