//! `photon faces`: planted people come out as exactly those people, new records join the right
//! person without moving anyone, faces too far from everyone stay unassigned, and the state
//! survives as the records change.

use photon_testkit::ok;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

fn photon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .output()
        .unwrap()
}

/// A unit vector near `centre` (one of 16 orthogonal axes of 64 dims), tilted by `seed`:
/// cosine distance to its centre about 0.1, to another centre about 1.
fn member(centre: usize, seed: u64) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut v: Vec<f32> = (0..64).map(|_| rng.f32() * 0.12 - 0.06).collect();
    v[centre] += 1.0;
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / norm).collect()
}

/// A record of one image holding `faces` (embeddings), named `name`.
fn record(name: &str, faces: &[Vec<f32>]) -> Value {
    let faces: Vec<Value> = faces
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let x = 10.0 * i as f32;
            let landmarks = [[1.0f32, 1.0]; 5];
            json!({"box": [x, 0.0, x + 8.0, 8.0], "score": 0.9,
                   "landmarks": landmarks, "embedding": e})
        })
        .collect();
    json!({"schema_version": 1, "file_path": name, "file_size": 1,
           "content_hash": format!("hash-{name}"), "width": 100, "height": 100,
           "format": "jpeg", "faces": faces})
}

/// The record with each face's embedding moved to other axes (a cyclic shift of 32 places): the
/// same people, as another model would give them, other vectors.
fn with_embeddings_rotated(record: &Value) -> Value {
    let mut record = record.clone();
    for face in record["faces"].as_array_mut().unwrap() {
        let embedding = face["embedding"].as_array_mut().unwrap();
        embedding.rotate_right(32);
    }
    record
}

fn write(path: &Path, records: &[Value]) {
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(path, text).unwrap();
}

/// Person -> the set of (file, face box x1) of its faces.
fn people(out: &Output) -> BTreeSet<BTreeSet<(String, i64)>> {
    ok(out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|p| {
            p["faces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let file = f["file_path"].as_str().unwrap().to_owned();
                    (file, f["box"][0].as_f64().unwrap() as i64)
                })
                .collect()
        })
        .collect()
}

#[test]
fn planted_people_come_out_and_new_records_join_them() {
    let work = tempfile::tempdir().unwrap();
    let records = work.path().join("records.jsonl");
    // Three people, five photos each (one face of the person, and in some photos others).
    let mut planted: BTreeMap<usize, BTreeSet<(String, i64)>> = BTreeMap::new();
    let mut lines = Vec::new();
    for photo in 0..5u64 {
        let name = format!("photo{photo}.jpg");
        let mut faces = Vec::new();
        for person in [0usize, 1, 2] {
            if photo == 4 && person == 2 {
                continue;
            }
            planted
                .entry(person)
                .or_default()
                .insert((name.clone(), 10 * faces.len() as i64));
            faces.push(member(person, photo * 10 + person as u64));
        }
        lines.push(record(&name, &faces));
    }
    // A stranger seen once: no person.
    lines.push(record("stranger.jpg", &[member(9, 99)]));
    write(&records, &lines);
    let path = records.to_str().unwrap();
    let first = photon(&["faces", path, "--json"]);
    let want: BTreeSet<_> = planted.values().cloned().collect();
    assert_eq!(people(&first), want);
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("3 people from 15 faces (1 not assigned"),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    // New records: person 1 again, and a fourth person in three new photos.
    lines.push(record("later1.jpg", &[member(1, 501)]));
    for photo in 0..3 {
        lines.push(record(
            &format!("new{photo}.jpg"),
            &[member(5, 600 + photo)],
        ));
    }
    write(&records, &lines);
    let second = photon(&["faces", path, "--json"]);
    let mut want = planted.clone();
    want.get_mut(&1).unwrap().insert(("later1.jpg".into(), 0));
    let mut want: BTreeSet<_> = want.into_values().collect();
    want.insert((0..3).map(|p| (format!("new{p}.jpg"), 0)).collect());
    assert_eq!(people(&second), want);
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("4 new this run"), "{said}");
    // The face graph of the first run was reopened: only the new faces went into it.
    assert!(said.contains("face graph (4 faces added)"), "{said}");
    // A graph this small finds every face's nearest at its first breadth.
    assert!(
        said.contains(
            "searches at ef 64 (recall 1.000 of the faces within reach among the 16 nearest)"
        ),
        "{said}"
    );
    assert!(work.path().join("records.jsonl.people.usearch").is_file());

    // A full re-cluster agrees; a photo removed leaves its faces out of the state.
    assert_eq!(
        people(&photon(&["faces", path, "--json", "--recluster"])),
        want
    );
    lines.retain(|r| r["file_path"] != "later1.jpg");
    write(&records, &lines);
    want = want
        .into_iter()
        .map(|p| p.into_iter().filter(|(f, _)| f != "later1.jpg").collect())
        .collect();
    let after_removal = photon(&["faces", path, "--json"]);
    assert_eq!(people(&after_removal), want);
    // The graph numbered the removed photo's face: it is built anew, over every face.
    let said = String::from_utf8_lossy(&after_removal.stderr);
    assert!(said.contains("face graph (18 faces added)"), "{said}");

    // Records made again with another model: the graph holds other vectors, so the grouping
    // starts over (the same people come out of the new vectors).
    let rotated: Vec<Value> = lines.iter().map(with_embeddings_rotated).collect();
    write(&records, &rotated);
    let remade = photon(&["faces", path, "--json"]);
    assert_eq!(people(&remade), want);
    let said = String::from_utf8_lossy(&remade.stderr);
    assert!(
        said.contains("embeddings changed since the state was made"),
        "{said}"
    );

    // A graph file that is not one is built anew, the people kept.
    std::fs::write(work.path().join("records.jsonl.people.usearch"), "no graph").unwrap();
    let rebuilt = photon(&["faces", path, "--json"]);
    assert_eq!(people(&rebuilt), want);
    let said = String::from_utf8_lossy(&rebuilt.stderr);
    assert!(said.contains("building the face graph anew"), "{said}");

    // A search narrower than the graph's first breadth is refused, not quietly widened.
    let narrow = photon(&["faces", path, "--widest-search", "32"]);
    assert_eq!(narrow.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&narrow.stderr).contains("64..=4096"));

    // A state that is not one is an error, never ignored.
    std::fs::write(work.path().join("records.jsonl.people.json"), "{").unwrap();
    let broken = photon(&["faces", path]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("--recluster"));
}
