//! The driver's flags through the command: `--order input` against completion order with slow
//! inputs first, and `--cpu-timeout` / `--embed-timeout`, including 0 (no limit).

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use photon_testkit::{models, testdata};

fn photon(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_photon"))
        .args(args)
        .env("PHOTON_MODELS", models())
        .output()
        .expect("run photon")
}

/// The records a run printed, in order.
fn printed(run: &Output) -> Vec<Value> {
    assert!(
        matches!(run.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The file name of a record (error records have only the path).
fn name(record: &Value) -> String {
    let path = PathBuf::from(record["file_path"].as_str().unwrap());
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// Two large noise PNGs (0.7 s each to decode here: PNG has no reduced decode) and six small
/// JPEGs, slow ones first; made once, cached under cargo's test tmp folder.
fn slow_then_fast() -> &'static [PathBuf] {
    static INPUTS: OnceLock<Vec<PathBuf>> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("slow-then-fast");
        std::fs::create_dir_all(&dir).unwrap();
        let mut inputs = Vec::new();
        let mut rng = fastrand::Rng::with_seed(7);
        for i in 0..2 {
            let path = dir.join(format!("slow{i}.png"));
            if !path.is_file() {
                let noise = image::RgbImage::from_fn(3000, 2000, |_, _| {
                    image::Rgb([rng.u8(..), rng.u8(..), rng.u8(..)])
                });
                let partial = dir.join(format!("slow{i}.partial.png"));
                noise.save(&partial).unwrap();
                std::fs::rename(&partial, &path).unwrap();
            }
            inputs.push(path);
        }
        for i in 0..6 {
            let path = dir.join(format!("fast{i}.jpg"));
            std::fs::copy(testdata().join("photos/dog.jpg"), &path).unwrap();
            inputs.push(path);
        }
        inputs
    })
}

fn process(extra: &[&str], inputs: &[PathBuf]) -> Output {
    let mut args = vec!["process", "--no-embedding", "--parallel", "4"];
    args.extend_from_slice(extra);
    args.extend(inputs.iter().map(|p| p.to_str().unwrap()));
    photon(&args)
}

#[test]
fn order_input_keeps_the_input_order_that_completion_order_does_not() {
    let inputs = slow_then_fast();
    let given: Vec<String> = inputs
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let ordered: Vec<String> = printed(&process(&["--order", "input"], inputs))
        .iter()
        .map(name)
        .collect();
    assert_eq!(ordered, given);
    let completed: Vec<String> = printed(&process(&[], inputs)).iter().map(name).collect();
    assert_eq!(completed.len(), given.len());
    assert_ne!(
        completed, given,
        "the fast inputs finish before the slow ones"
    );
    assert!(completed[0].starts_with("fast"), "{completed:?}");
}

#[test]
fn cpu_timeout_turns_slow_inputs_into_timeout_records_and_0_means_no_limit() {
    let inputs = slow_then_fast();
    // 0.25 s: far under the noise PNGs' decode, far over the small JPEGs' whole work.
    let limited = printed(&process(&["--cpu-timeout", "0.25"], inputs));
    assert_eq!(limited.len(), inputs.len());
    for r in &limited {
        let slow = name(r).starts_with("slow");
        if slow {
            assert_eq!(r["error"]["kind"], "timeout", "{r}");
            assert_ne!(r["error"]["stage"], "embed", "{r}");
            assert!(
                r["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("took longer than 250ms"),
                "{r}"
            );
        }
    }
    let fast_ok = limited.iter().filter(|r| r["error"].is_null()).count();
    assert!(fast_ok >= 4, "the other inputs go on: {limited:?}");
    let unlimited = printed(&process(&["--cpu-timeout", "0"], inputs));
    assert_eq!(unlimited.len(), inputs.len());
    assert!(
        unlimited.iter().all(|r| r["error"].is_null()),
        "{unlimited:?}"
    );
}

#[test]
fn embed_timeout_turns_model_calls_into_timeout_records_and_0_means_no_limit() {
    let photos = testdata().join("photos");
    let run = |timeout: &str| {
        printed(&photon(&[
            "process",
            photos.to_str().unwrap(),
            "--no-thumbnail",
            "--embed-timeout",
            timeout,
        ]))
    };
    // EfficientNet-Lite0 takes milliseconds a call: a 10 µs limit fails every call.
    let limited = run("0.00001");
    assert_eq!(limited.len(), 7);
    for r in &limited {
        assert_eq!(
            (&r["error"]["stage"], &r["error"]["kind"]),
            (&"embed".into(), &"timeout".into()),
            "{r}"
        );
        assert!(r["content_hash"].is_string(), "the identity is kept: {r}");
    }
    let unlimited = run("0");
    assert_eq!(unlimited.len(), 7);
    for r in &unlimited {
        assert!(r["error"].is_null(), "{r}");
        assert_eq!(r["embedding"].as_array().unwrap().len(), 1280);
    }
}
