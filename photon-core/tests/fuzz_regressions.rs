//! Replays the inputs fuzzing found (testdata/fuzz/<target>/) and the fuzz seeds through the
//! fuzz targets' code, so that what was fixed stays fixed. `scripts/fuzz.sh` runs the fuzzers.

mod common;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = common::testdata().join("fuzz").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        if let Err(panic) = std::panic::catch_unwind(|| run(&bytes)) {
            panic!("{} still fails: {panic:?}", path.display());
        }
        count += 1;
    }
    count
}

#[test]
fn inputs_fuzzing_found_no_longer_fail() {
    assert!(replay("decode", photon_core::fuzzing::decode_bytes) >= 1);
    assert!(replay("resume_reader", photon_core::fuzzing::read_resume) >= 1);
}

#[test]
fn the_fixtures_pass_the_decode_target() {
    for dir in ["photos", "exif", "hostile"] {
        for entry in std::fs::read_dir(common::testdata().join(dir)).unwrap() {
            photon_core::fuzzing::decode_bytes(&std::fs::read(entry.unwrap().path()).unwrap());
        }
    }
}
