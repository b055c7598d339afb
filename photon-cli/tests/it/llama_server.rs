//! `photon process --describe llama-server` end to end against a real server people run:
//! llama.cpp's OpenAI-compatible server (the `llama-cpp-python[server]` package, built from
//! source by scripts/py-env.sh) serving a tiny LLaVA-1.5-shaped model in GGUF that
//! scripts/make_tiny_vlm.py writes. The server decodes each JPEG the stage sends, runs the image
//! encoder and the language model, and answers in its own words; the model is made to say
//! " photo" whatever it sees, so the records can be checked word for word.

use super::describe::lines;
use super::serve::request;
use photon_testkit::{KilledOnDrop, loopback_port, ok, python_env, root, testdata};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MAX_TOKENS: usize = 5;
/// Loading llama.cpp and both models takes a few seconds; a cold machine may take longer.
const STARTUP: Duration = Duration::from_secs(180);

/// The server process, stopped when the test ends however it ends.
struct Server {
    child: KilledOnDrop,
    port: u16,
}

/// llama.cpp's server on `models` (lm.gguf and mmproj.gguf), answering once it lists its model.
fn start_server(python: &Path, models: &Path, log: &Path) -> Server {
    let port = loopback_port();
    let child = Command::new(python)
        .args(["-m", "llama_cpp.server", "--model"])
        .arg(models.join("lm.gguf"))
        .arg("--clip_model_path")
        .arg(models.join("mmproj.gguf"))
        .args(["--chat_format", "llava-1-5", "--model_alias", "tiny-vlm"])
        .args(["--n_ctx", "2048", "--host", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    let mut server = Server {
        child: KilledOnDrop(child),
        port,
    };
    let started = Instant::now();
    while !lists_models(port) {
        let exited = server.child.try_wait().unwrap();
        assert!(
            exited.is_none() && started.elapsed() < STARTUP,
            "llama.cpp's server did not start ({exited:?}):\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    server
}

fn lists_models(port: u16) -> bool {
    let address = format!("127.0.0.1:{port}");
    matches!(request(&address, "GET", "/v1/models", "", &[]),
        Ok((200, body)) if String::from_utf8_lossy(&body).contains("tiny-vlm"))
}

#[test]
fn a_real_llama_cpp_server_describes_every_photo() {
    let python = python_env("llama-server");
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("vlm");
    ok(&Command::new(&python)
        .arg(root().join("scripts/make_tiny_vlm.py"))
        .arg(&models)
        .output()
        .unwrap());
    let log = dir.path().join("server.log");
    let server = start_server(&python, &models, &log);

    let photos = testdata().join("photos");
    let out = dir.path().join("records.jsonl");
    let url = format!("http://127.0.0.1:{}/v1", server.port);
    let run = Command::new(env!("CARGO_BIN_EXE_photon"))
        .arg("process")
        .arg(&photos)
        .arg("-o")
        .arg(&out)
        .args([
            "--no-embedding",
            "--describe",
            "llama-server",
            "--describe-url",
            &url,
        ])
        .args(["--describe-model", "tiny-vlm", "--describe-parallel", "2"])
        .args(["--describe-max-tokens", &MAX_TOKENS.to_string()])
        .output()
        .unwrap();
    ok(&run);

    let records = lines(&out);
    assert_eq!(records.len(), std::fs::read_dir(&photos).unwrap().count());
    let said = ["photo"; MAX_TOKENS].join(" ");
    for record in &records {
        let description = &record["description"];
        assert!(record.get("errors").is_none(), "{record}");
        assert_eq!(description["text"], said.as_str(), "{record}");
        // The record names the wire format; the preset only chose the address.
        assert_eq!(description["provider"], "openai");
        assert_eq!(description["model"], "tiny-vlm");
        assert_eq!(description["output_tokens"], MAX_TOKENS);
        // The prompt, the chat template's words and the image's 16 embeddings.
        assert!(description["input_tokens"].as_u64() > Some(16), "{record}");
    }
    // The server's own log: one image encoded per photo, so the JPEG reached its image encoder.
    drop(server);
    let encoded = std::fs::read_to_string(&log)
        .unwrap()
        .matches("encoding image slice")
        .count();
    assert_eq!(encoded, records.len());
}
