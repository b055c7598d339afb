//! Model folders as they are published and as other tools keep them: a Hugging Face folder whose
//! `config.json` lists only `model_type`s, and immich's OpenCLIP layout, tag and search exactly
//! as the complete folder of the same weights does; `photon models show` says how each was read.

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use photon_testkit::{models, ok, onnxruntime, testdata};

/// Runs photon with a fresh models folder of its own (so each run builds its own label bank).
fn photon(args: &[&str], work: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .env("PHOTON_MODELS", work.join("models"))
        .env("ORT_DYLIB_PATH", onnxruntime())
        .output()
        .unwrap()
}

/// Copies `files` of the tiny model `source` into `dir/name`, with `written` text files.
fn model_folder(
    dir: &Path,
    name: &str,
    source: &str,
    files: &[&str],
    written: &[(&str, &str)],
) -> PathBuf {
    let folder = dir.join(name);
    let source = testdata().join("models").join(source);
    for file in files {
        let to = folder.join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(source.join(file), to).unwrap();
    }
    for (file, text) in written {
        std::fs::write(folder.join(file), text).unwrap();
    }
    folder
}

const TOWERS: [&str; 4] = [
    "onnx/vision_model.onnx",
    "onnx/text_model.onnx",
    "tokenizer.json",
    "preprocessor_config.json",
];

/// One record: file name, embedding, tags with their confidences.
type Tagged = (String, Vec<f64>, Vec<(String, f64)>);
/// A run's records and the ranking of its text search.
type Run = (Vec<Tagged>, Vec<String>);

/// What the records of a run say per file: embedding, tag names and confidences.
fn tagged(records: &Path) -> Vec<Tagged> {
    let text = std::fs::read_to_string(records).unwrap();
    let mut rows: Vec<_> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|r| {
            assert!(r["error"].is_null(), "{r}");
            let name = Path::new(r["file_path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let embedding = r["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let tags = r["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    let name = t["name"].as_str().unwrap().to_owned();
                    (name, t["confidence"].as_f64().unwrap())
                })
                .collect();
            (name, embedding, tags)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

/// Tags (three per photo, from a small vocabulary) and the ranking of a text search.
fn tags_and_search(model: &Path, work: &Path, extra: &[&str]) -> Run {
    let vocabulary = work.join("vocabulary.txt");
    std::fs::write(
        &vocabulary,
        "cat\ndog\ncar\nbeach\nespresso\nbird\nmountain\n",
    )
    .unwrap();
    let out = work.join(format!(
        "{}.jsonl",
        model.file_name().unwrap().to_string_lossy()
    ));
    let photos = testdata().join("photos");
    let mut args = vec![
        "process",
        photos.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--vocabulary",
        vocabulary.to_str().unwrap(),
        "--no-thumbnail",
        "--min-confidence",
        "0",
        "--top-k",
        "3",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&photon(&args, work));
    let records = tagged(&out);
    assert_eq!(records.len(), 7);
    assert!(records.iter().all(|r| r.2.len() == 3));
    let search = ok(&photon(
        &[
            "search",
            out.to_str().unwrap(),
            "a dog on the beach",
            "--model",
            model.to_str().unwrap(),
            "--top",
            "7",
        ],
        work,
    ));
    let ranking: Vec<String> = search
        .lines()
        .map(|l| {
            let (score, path) = l.split_once('\t').unwrap();
            let name = Path::new(path).file_name().unwrap().to_string_lossy();
            format!("{name} {:.5}", score.parse::<f64>().unwrap())
        })
        .collect();
    assert_eq!(ranking.len(), 7, "{search}");
    (records, ranking)
}

fn assert_same(a: &Run, b: &Run) {
    assert_eq!(a.0.len(), b.0.len());
    for (x, y) in a.0.iter().zip(&b.0) {
        assert_eq!(x.0, y.0);
        assert_eq!(x.1.len(), y.1.len());
        let worst =
            x.1.iter()
                .zip(&y.1)
                .map(|(p, q)| (p - q).abs())
                .fold(0.0, f64::max);
        assert!(worst < 1e-5, "{}: embeddings differ by {worst}", x.0);
        let names = |t: &[(String, f64)]| t.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&x.2), names(&y.2), "{}", x.0);
        for ((_, p), (_, q)) in x.2.iter().zip(&y.2) {
            assert!((p - q).abs() < 1e-4, "{}: {:?} vs {:?}", x.0, x.2, y.2);
        }
    }
    assert_eq!(a.1, b.1, "search rankings");
}

#[test]
fn a_published_minimal_siglip_folder_tags_and_searches_as_the_complete_one() {
    let work = tempfile::tempdir().unwrap();
    // google/siglip-base-patch16-224's config.json as published, and its special-tokens map
    // (with the tiny tokenizer's tokens).
    let minimal = model_folder(
        work.path(),
        "published",
        "tiny-siglip",
        &TOWERS,
        &[
            (
                "config.json",
                r#"{"architectures": ["SiglipModel"], "model_type": "siglip",
                    "text_config": {"model_type": "siglip_text_model"},
                    "vision_config": {"model_type": "siglip_vision_model"}}"#,
            ),
            (
                "special_tokens_map.json",
                r#"{"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}"#,
            ),
        ],
    );
    // The published config has no logit scale or bias (they are weights): give the complete
    // folder's on both runs.
    let scale = ["--logit-scale", "2.3", "--logit-bias", "-1.5"];
    let full = tags_and_search(&testdata().join("models/tiny-siglip"), work.path(), &scale);
    let published = tags_and_search(&minimal, work.path(), &scale);
    assert_same(&full, &published);

    let show = ok(&photon(
        &["models", "show", minimal.to_str().unwrap()],
        work.path(),
    ));
    assert!(show.contains("layout:  Hugging Face"), "{show}");
    assert!(
        show.contains("text_config.pad_token_id = 0  (named in special_tokens_map.json)"),
        "{show}"
    );
    assert!(
        show.contains("vision_config.hidden_size = 32  (declared by onnx/vision_model.onnx)"),
        "{show}"
    );
}

#[test]
fn a_minimal_clip_folder_tags_and_searches_as_the_complete_one() {
    let work = tempfile::tempdir().unwrap();
    let minimal = model_folder(
        work.path(),
        "published-clip",
        "tiny-clip",
        &TOWERS,
        &[
            (
                "config.json",
                r#"{"model_type": "clip", "text_config": {"model_type": "clip_text_model"},
                    "vision_config": {"model_type": "clip_vision_model"}}"#,
            ),
            (
                "tokenizer_config.json",
                r#"{"bos_token": {"content": "<|startoftext|>"}, "eos_token": {"content": "<|endoftext|>"},
                    "pad_token": "<|endoftext|>"}"#,
            ),
        ],
    );
    // The complete config's logit scale is CLIP's log 100, which is also the default.
    let full = tags_and_search(&testdata().join("models/tiny-clip"), work.path(), &[]);
    let published = tags_and_search(&minimal, work.path(), &[]);
    assert_same(&full, &published);
}

#[test]
fn an_immich_siglip_folder_tags_and_searches_as_its_hugging_face_twin() {
    let work = tempfile::tempdir().unwrap();
    // immich-siglip holds tiny-siglip's weights in immich's layout; OpenCLIP's config has only
    // initial logit values, so both runs are given the trained ones.
    let scale = ["--logit-scale", "2.3", "--logit-bias", "-1.5"];
    let hf = tags_and_search(&testdata().join("models/tiny-siglip"), work.path(), &scale);
    let immich = tags_and_search(
        &testdata().join("models/immich-siglip"),
        work.path(),
        &scale,
    );
    assert_same(&hf, &immich);

    let show = ok(&photon(
        &[
            "models",
            "show",
            testdata().join("models/immich-siglip").to_str().unwrap(),
        ],
        work.path(),
    ));
    assert!(show.contains("layout:  immich"), "{show}");
    assert!(
        show.contains("input `text` (int32, 64 tokens, pad 0, end 1)"),
        "{show}"
    );
}

#[test]
fn models_show_refuses_what_is_not_a_model_folder() {
    let work = tempfile::tempdir().unwrap();
    let run = photon(
        &["models", "show", work.path().to_str().unwrap()],
        work.path(),
    );
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("visual/model.onnx (immich)"), "{stderr}");
}

#[test]
fn models_are_found_from_any_directory_in_the_user_data_folder() {
    let home = tempfile::tempdir().unwrap();
    let installed = home.path().join(".local/share/photon/models");
    std::fs::create_dir_all(&installed).unwrap();
    for name in ["onnxruntime", "efficientnet-lite0"] {
        std::os::unix::fs::symlink(
            models().join(name).canonicalize().unwrap(),
            installed.join(name),
        )
        .unwrap();
    }
    // A photo folder with a `models` folder of its own that is not Photon's.
    let photos = tempfile::tempdir().unwrap();
    std::fs::copy(
        testdata().join("photos/dog.jpg"),
        photos.path().join("dog.jpg"),
    )
    .unwrap();
    std::fs::create_dir(photos.path().join("models")).unwrap();
    std::fs::copy(
        testdata().join("photos/dog.jpg"),
        photos.path().join("models/runway.jpg"),
    )
    .unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(["process", "dog.jpg", "--no-thumbnail"])
        .current_dir(photos.path())
        .env("HOME", home.path())
        .env_remove("PHOTON_MODELS")
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("XDG_DATA_HOME")
        .output()
        .unwrap();
    let stdout = ok(&run);
    let record: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(
        record["embedding"].as_array().unwrap().len(),
        1280,
        "{record}"
    );
    assert!(
        record["model"]["id"]
            .as_str()
            .unwrap()
            .starts_with("efficientnet-lite0@")
    );

    let list = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(["models", "list"])
        .current_dir(photos.path())
        .env("HOME", home.path())
        .env_remove("PHOTON_MODELS")
        .env_remove("ORT_DYLIB_PATH")
        .env("XDG_DATA_HOME", "")
        .output()
        .unwrap();
    let list = ok(&list);
    assert!(
        list.contains(&format!("models folder: {}", installed.display())),
        "{list}"
    );
}

#[test]
fn asking_for_a_gpu_that_cannot_be_used_fails_with_exit_2_and_never_runs_on_the_cpu() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out.jsonl");
    let dog = testdata().join("photos/dog.jpg");
    let model = models().join("efficientnet-lite0");
    let args = [
        "process",
        dog.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--device",
        "cuda",
        "-o",
        out.to_str().unwrap(),
    ];
    // The CPU build of ONNX Runtime has no CUDA provider: registering it fails, loudly.
    let run = photon(&args, work.path());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot run on cuda:0"), "{stderr}");
    assert!(stderr.contains("does not fall back to the CPU"), "{stderr}");
    assert!(!out.exists(), "nothing was processed");

    // No GPU build installed and none named: the fix is named.
    let run = Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .env("PHOTON_MODELS", work.path().join("models"))
        .env_remove("ORT_DYLIB_PATH")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("photon models fetch --gpu"), "{stderr}");

    // tract is CPU-only, and says so.
    let mut tract = args.to_vec();
    tract.extend(["--backend", "tract"]);
    let run = photon(&tract, work.path());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tract runs on the CPU only"), "{stderr}");

    let run = photon(
        &["process", dog.to_str().unwrap(), "--device", "gpu"],
        work.path(),
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("cpu, cuda or cuda:N"));
}

#[test]
fn a_clip_vision_export_without_its_projection_embeds_but_refuses_zero_shot() {
    let work = tempfile::tempdir().unwrap();
    // CLIPVisionModel-style: `pooler_output` only (here the tiny SigLIP tower's graph), beside a
    // CLIP text tower whose `text_embeds` live in the projected space.
    let folder = model_folder(
        work.path(),
        "clip-unprojected",
        "tiny-clip",
        &[
            "onnx/text_model.onnx",
            "tokenizer.json",
            "preprocessor_config.json",
        ],
        &[(
            "config.json",
            r#"{"model_type": "clip", "projection_dim": 24, "text_config": {"pad_token_id": 35, "eos_token_id": 35}}"#,
        )],
    );
    std::fs::copy(
        testdata().join("models/tiny-siglip/onnx/vision_model.onnx"),
        folder.join("onnx/vision_model.onnx"),
    )
    .unwrap();
    let dog = testdata().join("photos/dog.jpg");
    let model = folder.to_str().unwrap();
    let run = photon(
        &["process", dog.to_str().unwrap(), "--model", model],
        work.path(),
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("(`pooler_output`, 32 values) and the text embedding (`text_embeds`, 24 values) are not one space"), "{stderr}");
    assert!(
        stderr.contains("(--no-tagging turns tagging off)"),
        "the command adds its own flag: {stderr}"
    );
    let run = photon(
        &[
            "process",
            dog.to_str().unwrap(),
            "--model",
            model,
            "--no-tagging",
            "--no-thumbnail",
        ],
        work.path(),
    );
    let record: Value = serde_json::from_str(ok(&run).lines().next().unwrap()).unwrap();
    assert_eq!(
        record["embedding"].as_array().unwrap().len(),
        32,
        "{record}"
    );
}

#[test]
fn an_immich_clip_folder_tags_and_searches_as_its_hugging_face_twin() {
    let work = tempfile::tempdir().unwrap();
    // immich-clip: tiny-clip's weights, int32 ids alone (no mask input), OpenAI preprocessing.
    let hf = tags_and_search(&testdata().join("models/tiny-clip"), work.path(), &[]);
    let immich = tags_and_search(&testdata().join("models/immich-clip"), work.path(), &[]);
    assert_same(&hf, &immich);
}

/// SigLIP's confidence, by hand: sigmoid(cos · e^scale + bias), with the cosine from `photon
/// search` (the text query being the prompt the tag was scored with).
fn siglip_confidences(model: &Path, work: &Path, extra: &[&str]) -> Vec<(f64, f64)> {
    let vocabulary = work.join("one.txt");
    std::fs::write(&vocabulary, "cat\n").unwrap();
    let out = work.join("scored.jsonl");
    let _ = std::fs::remove_file(&out);
    let photos = testdata().join("photos");
    let mut args = vec![
        "process",
        photos.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--vocabulary",
        vocabulary.to_str().unwrap(),
        "--min-confidence",
        "0",
        "--no-thumbnail",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(&photon(&args, work));
    let search = ok(&photon(
        &[
            "search",
            out.to_str().unwrap(),
            "a photo of a cat",
            "--model",
            model.to_str().unwrap(),
            "--json",
            "--top",
            "7",
        ],
        work,
    ));
    let cosines: HashMap<String, f64> = search
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|h| {
            (
                h["file_path"].as_str().unwrap().to_owned(),
                h["score"].as_f64().unwrap(),
            )
        })
        .collect();
    let records: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 7);
    records
        .iter()
        .map(|r| {
            let cosine = cosines[r["file_path"].as_str().unwrap()];
            (cosine, r["tags"][0]["confidence"].as_f64().unwrap())
        })
        .collect()
}

#[test]
fn siglip_confidences_follow_the_configs_scale_and_bias_and_the_flags_override_them() {
    let work = tempfile::tempdir().unwrap();
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    let model = testdata().join("models/tiny-siglip");
    // tiny-siglip's config.json: logit_scale 2.3, logit_bias -1.5.
    for (extra, scale, bias) in [
        (&[][..], 2.3f64, -1.5f64),
        (
            &["--logit-scale", "1.0", "--logit-bias", "0.25"][..],
            1.0,
            0.25,
        ),
    ] {
        let pairs = siglip_confidences(&model, work.path(), extra);
        assert_eq!(pairs.len(), 7);
        for (cosine, confidence) in pairs {
            let want = sigmoid(cosine * scale.exp() + bias);
            assert!(
                (confidence - want).abs() < 1e-5,
                "{extra:?}: {confidence} vs {want} (cos {cosine})"
            );
        }
    }
}
