//! `photon process --faces`: the records' faces are insightface's on the same upright pixels
//! (scripts/faces_reference.py, with the SCRFD- and ArcFace-shaped test models, given the
//! pixels `photon process` decodes), on both
//! engines and in both folder layouts, the same through Parquet; a run with faces redoes what
//! an earlier run recorded without them; `photon models show` reads face folders.

use photon_core::{DecodeRequest, Decoder, apply_orientation};
use photon_testkit::{immich_face_models, ok, onnxruntime, python_env, root, testdata};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn photon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .env("ORT_DYLIB_PATH", onnxruntime())
        .output()
        .unwrap()
}

/// The test photos and two JPEGs turned by EXIF orientation 6 and 8.
fn inputs() -> Vec<PathBuf> {
    let mut paths = photon_testkit::files_in("photos");
    for name in ["hopper_orientation_6.jpg", "hopper_orientation_8.jpg"] {
        paths.push(testdata().join("exif").join(name));
    }
    paths
}

/// insightface's faces of each input (by file name), on the input turned upright here.
fn insightface(work: &Path) -> HashMap<String, Value> {
    let mut pngs = Vec::new();
    for path in inputs() {
        let bytes = std::fs::read(&path).unwrap();
        // The decoder `photon process` uses: JPEG decoders differ by a level here and there,
        // which moves a random-weight detector's scores across the threshold.
        let decoded = photon_decode::default_decoder()
            .decode(&bytes, &DecodeRequest::default())
            .unwrap();
        let orientation = match decoded.upright {
            true => 1,
            false => photon_core::read_orientation(&bytes).unwrap_or(1),
        };
        let upright = apply_orientation(decoded.pixels, orientation);
        let png = work.join(format!("{}.png", file_name(&path)));
        upright.save(&png).unwrap();
        pngs.push(png);
    }
    let out = work.join("reference");
    let run = Command::new(python_env("faces"))
        .arg(root().join("scripts/faces_reference.py"))
        .arg(testdata().join("models/faces-tiny"))
        .arg(&out)
        .args(&pngs)
        .output()
        .unwrap();
    ok(&run);
    inputs()
        .iter()
        .map(|path| {
            let name = file_name(path);
            let json = std::fs::read(out.join(format!("{name}.json"))).unwrap();
            (name, serde_json::from_slice(&json).unwrap())
        })
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn records(path: &Path) -> HashMap<String, Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .map(|record| {
            (
                file_name(Path::new(record["file_path"].as_str().unwrap())),
                record,
            )
        })
        .collect()
}

fn floats(value: &Value) -> Vec<f32> {
    match value {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        number => vec![number.as_f64().unwrap() as f32],
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (norm(a) * norm(b))
}

/// Scores this close to the detector's threshold (0.7) may fall either side of it between two
/// engines or thread counts; those faces are left out of the comparison.
const EDGE: f64 = 0.7 + 1e-3;

/// Every record's faces against insightface's: the same count, boxes, scores and landmarks
/// within 1e-3 relative (or 0.05 px), embeddings within cosine 0.999. Returns faces compared.
fn compare(records: &HashMap<String, Value>, reference: &HashMap<String, Value>) -> usize {
    let mut compared = 0;
    let clear = |faces: &Value| -> Vec<Value> {
        let faces = faces.as_array().expect("a list of faces");
        faces
            .iter()
            .filter(|f| f["score"].as_f64().unwrap() >= EDGE)
            .cloned()
            .collect()
    };
    for (name, want) in reference {
        let got = clear(&records[name]["faces"]);
        let want = clear(&want["faces"]);
        assert_eq!(got.len(), want.len(), "{name}");
        for (got, want) in got.iter().zip(want) {
            let pairs = [
                ("box", "bbox"),
                ("score", "score"),
                ("landmarks", "landmarks"),
            ];
            for (ours, theirs) in pairs {
                for (a, b) in floats(&got[ours]).into_iter().zip(floats(&want[theirs])) {
                    let off = (a - b).abs();
                    assert!(
                        off <= 0.05 || off <= 1e-3 * b.abs(),
                        "{name}: {ours} {a} against {b}"
                    );
                }
            }
            let similarity = cosine(&floats(&got["embedding"]), &floats(&want["embedding"]));
            assert!(similarity > 0.999, "{name}: cosine {similarity}");
            compared += 1;
        }
    }
    compared
}

fn args<'a>(paths: &'a [String], rest: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["process", "--no-embedding", "--quiet"];
    all.extend(paths.iter().map(String::as_str));
    all.extend_from_slice(rest);
    all
}

#[test]
fn records_carry_insightfaces_faces_on_both_engines_in_both_layouts_and_in_parquet() {
    let work = tempfile::tempdir().unwrap();
    let reference = insightface(work.path());
    let paths: Vec<String> = inputs().iter().map(|p| p.display().to_string()).collect();
    let pack = testdata().join("models/faces-tiny");
    let immich = immich_face_models(work.path());
    let jsonl = work.path().join("ort.jsonl");
    ok(&photon(&args(
        &paths,
        &[
            "--face-model",
            pack.to_str().unwrap(),
            "-o",
            jsonl.to_str().unwrap(),
        ],
    )));
    let ort = records(&jsonl);
    let compared = compare(&ort, &reference);
    assert!(compared >= 20, "only {compared} faces");

    let parquet = work.path().join("tract.parquet");
    ok(&photon(&args(
        &paths,
        &[
            "--face-model",
            immich.to_str().unwrap(),
            "--backend",
            "tract",
            "-o",
            parquet.to_str().unwrap(),
        ],
    )));
    let back = work.path().join("tract.jsonl");
    ok(&photon(&[
        "convert",
        parquet.to_str().unwrap(),
        back.to_str().unwrap(),
    ]));
    assert_eq!(compare(&records(&back), &reference), compared);
}

#[test]
fn a_run_with_faces_redoes_records_made_without_them_and_models_show_reads_face_folders() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("records.jsonl");
    let paths: Vec<String> = inputs().iter().map(|p| p.display().to_string()).collect();
    let pack = testdata().join("models/faces-tiny");
    ok(&photon(&args(&paths, &["-o", out.to_str().unwrap()])));
    let face_run = args(
        &paths,
        &[
            "--face-model",
            pack.to_str().unwrap(),
            "--skip-existing",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    ok(&photon(&face_run));
    let lines = std::fs::read_to_string(&out).unwrap().lines().count();
    assert_eq!(
        lines,
        2 * paths.len(),
        "every record redone once, with faces"
    );
    assert!(records(&out).values().all(|r| r["faces"].is_array()));
    ok(&photon(&face_run));
    let lines = std::fs::read_to_string(&out).unwrap().lines().count();
    assert_eq!(
        lines,
        2 * paths.len(),
        "nothing redone once faces are there"
    );

    let missing = photon(&args(&paths, &["--faces", "-o", out.to_str().unwrap()]));
    assert!(!missing.status.success());
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(
        said.contains("--face-model") && said.contains("non-commercial"),
        "{said}"
    );

    let shown = ok(&photon(&[
        "models",
        "show",
        immich_face_models(work.path()).to_str().unwrap(),
    ]));
    assert!(shown.contains("immich facial-recognition"), "{shown}");
    assert!(
        shown.contains("detection/model.onnx") && shown.contains("512-float"),
        "{shown}"
    );
    let shown = ok(&photon(&["models", "show", pack.to_str().unwrap()]));
    assert!(
        shown.contains("insightface pack") && shown.contains("det_10g.onnx"),
        "{shown}"
    );
}

#[test]
fn hostile_and_tiny_images_get_one_record_each_and_the_face_cap_is_recorded() {
    let work = tempfile::tempdir().unwrap();
    for (name, (w, h)) in [
        ("one.png", (1, 1)),
        ("strip.png", (3, 2)),
        ("thin.png", (2000, 4)),
    ] {
        image::RgbImage::from_pixel(w, h, image::Rgb([200, 120, 40]))
            .save(work.path().join(name))
            .unwrap();
    }
    let out = work.path().join("records.jsonl");
    let pack = testdata().join("models/faces-tiny");
    let astronaut = testdata().join("photos/astronaut.png");
    let inputs = [
        testdata().join("hostile"),
        work.path().to_owned(),
        astronaut.clone(),
    ];
    let paths: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let run = photon(&args(
        &paths,
        &[
            "--face-model",
            pack.to_str().unwrap(),
            "--max-faces",
            "5",
            "-o",
            out.to_str().unwrap(),
        ],
    ));
    // Hostile files fail their own records (exit code 1), never the run.
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let records = records(&out);
    let hostile = photon_testkit::files_in("hostile").len();
    assert_eq!(records.len(), hostile + 3 + 1, "one record per input");
    for name in ["one.png", "strip.png", "thin.png"] {
        let record = &records[name];
        assert!(record["faces"].is_array(), "{name}: {record}");
        assert!(record.get("errors").is_none(), "{name}: {record}");
    }
    let cut = &records["astronaut.png"];
    assert_eq!(cut["faces"].as_array().unwrap().len(), 5);
    assert!(cut["faces_found"].as_u64().unwrap() > 5, "{cut}");
    let scores: Vec<f64> = cut["faces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "best first: {scores:?}"
    );
    // A detector that fires everywhere (every score passes) finds thousands of faces in one
    // photo; the default cap keeps the best 100 and the record counts the rest.
    let flood = work.path().join("flood.jsonl");
    let astronaut = [astronaut.display().to_string()];
    ok(&photon(&args(
        &astronaut,
        &[
            "--face-model",
            pack.to_str().unwrap(),
            "--face-min-score",
            "0",
            "-o",
            flood.to_str().unwrap(),
        ],
    )));
    let flooded = &self::records(&flood)["astronaut.png"];
    assert_eq!(flooded["faces"].as_array().unwrap().len(), 100);
    assert!(
        flooded["faces_found"].as_u64().unwrap() >= 1000,
        "{flooded}"
    );
    for record in records.values() {
        let failed_faces = record["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["stage"] == "faces"));
        assert!(!failed_faces, "{record}");
    }
}
