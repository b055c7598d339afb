//! A vision-language model's server, faked on loopback: it speaks OpenAI's chat completions
//! closely enough for Photon's describer, answers every request with the same words after a
//! fixed delay, and keeps what it received, for the tests and benches of `--describe` that run
//! `photon` as a separate process.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The running server: one thread per connection, alive until the process ends.
pub struct VlmServer {
    /// Its base URL, up to the version (`http://127.0.0.1:PORT/v1`).
    pub url: String,
    shared: Arc<Shared>,
}

struct Shared {
    answer: String,
    delay: Duration,
    /// Requests worked on at once at most, the others waiting (a server's own limit, as
    /// llama-server's `--parallel` slots); `None`: no limit.
    slots: Option<usize>,
    working: (Mutex<usize>, Condvar),
    received: Mutex<Vec<Vec<u8>>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl VlmServer {
    /// Starts on 127.0.0.1, answering every request with `answer` after `delay`.
    pub fn start(answer: &str, delay: Duration) -> Self {
        Self::start_with_slots(answer, delay, None)
    }

    /// Starts as [`start`](Self::start) does, working on at most `slots` requests at once (the
    /// others wait their turn), as a real server with its own limit.
    pub fn start_with_slots(answer: &str, delay: Duration, slots: Option<usize>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            answer: answer.to_owned(),
            delay,
            slots,
            working: (Mutex::new(0), Condvar::new()),
            received: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = accepting.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Self { url, shared }
    }

    /// Requests answered or in progress.
    pub fn requests(&self) -> usize {
        self.shared.received.lock().unwrap().len()
    }

    /// The most requests that were ever in the server at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Every request as received: head and body, bytes as they came.
    pub fn received(&self) -> Vec<Vec<u8>> {
        self.shared.received.lock().unwrap().clone()
    }
}

impl Shared {
    /// The answer's delay, in one of the slots.
    fn work(&self) {
        let Some(slots) = self.slots else {
            return std::thread::sleep(self.delay);
        };
        let (working, turn) = &self.working;
        let mut busy = turn
            .wait_while(working.lock().unwrap(), |n| *n >= slots)
            .unwrap();
        *busy += 1;
        drop(busy);
        std::thread::sleep(self.delay);
        *working.lock().unwrap() -= 1;
        turn.notify_one();
    }
}

/// Answers the requests of one kept-alive connection until the client closes it.
fn serve(stream: TcpStream, shared: &Shared) {
    let mut reader = BufReader::new(stream.try_clone().expect("a socket clone"));
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader) {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        shared.received.lock().unwrap().push(request);
        shared.work();
        let body = chat_completion(&shared.answer);
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let written = writer
            .write_all(response.as_bytes())
            .and_then(|()| writer.flush());
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        if written.is_err() {
            return;
        }
    }
}

/// One HTTP/1.1 request (head and body), or `None` when the connection ends.
fn read_request(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut request = Vec::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        request.extend_from_slice(line.as_bytes());
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().ok()?;
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    request.extend_from_slice(&body);
    Some(request)
}

/// A chat completion saying `text`, as OpenAI documents it, usage counts included.
fn chat_completion(text: &str) -> String {
    let quoted: String = text
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c => vec![c],
        })
        .collect();
    format!(
        r#"{{"id":"chatcmpl-fake","object":"chat.completion","created":1700000000,"model":"fake-vlm","choices":[{{"index":0,"message":{{"role":"assistant","content":"{quoted}"}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":800,"completion_tokens":12,"total_tokens":812}}}}"#
    )
}
