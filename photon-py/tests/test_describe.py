"""`photon.Pipeline(describe=...)`: descriptions from an OpenAI-compatible server on loopback
(Python's own http.server), the key only in its header, the request budget, and bad arguments
refused."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import photon
from conftest import photos

KEY = "sk-py-0123456789abcdef-SECRET"
SAID = "A rocket on its launch pad."


class Provider(BaseHTTPRequestHandler):
    """Answers every chat completion with SAID, keeping what it received."""

    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        Provider.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        answer = json.dumps({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": SAID},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 700, "completion_tokens": 7, "total_tokens": 707},
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Provider.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY)
    return path


def describing(url, key_file, **more):
    return photon.Pipeline(
        embedding=False, describe="llama-server", describe_url=url, describe_model="fake-vlm",
        api_key_file=key_file, **more,
    )


def test_each_row_has_its_description_and_the_key_stays_in_its_header(server, key_file):
    table = describing(server, key_file, describe_parallel=2).process(photos())
    rows = table.to_pylist()
    assert len(rows) == len(photos())
    for row in rows:
        d = row["description"]
        assert d["text"] == SAID and d["provider"] == "openai" and d["model"] == "fake-vlm"
        assert (d["input_tokens"], d["output_tokens"]) == (700, 7)
        assert len(d["prompt_hash"]) == 16
    assert len(Provider.received) == len(photos())
    for path, headers, body in Provider.received:
        assert path == "/v1/chat/completions"
        assert headers["authorization"] == f"Bearer {KEY}"
        assert KEY.encode() not in body and KEY[:12].encode() not in body
    assert KEY not in str(table.to_pylist())


def test_the_budget_stops_describing(server, key_file):
    pipeline = describing(server, key_file, describe_parallel=1, describe_max_requests=2)
    rows = pipeline.process(photos()).to_pylist()
    described = [r for r in rows if r["description"] is not None]
    spent = [r for r in rows if r["errors"] and r["errors"][0]["kind"] == "budget"]
    assert (len(described), len(spent)) == (2, len(photos()) - 2)
    assert all(r["perceptual_hash"] for r in spent), "the other columns kept"


def test_bad_describe_arguments_are_refused(key_file):
    with pytest.raises(ValueError, match="describe must be one of"):
        photon.Pipeline(embedding=False, describe="nonsense")
    with pytest.raises(ValueError, match="describe_size"):
        photon.Pipeline(embedding=False, describe="ollama", describe_model="m", describe_size=10)
    with pytest.raises(RuntimeError, match="no model named"):
        photon.Pipeline(embedding=False, describe="ollama")
    with pytest.raises(TypeError, match="unexpected keyword argument 'describe_modle'"):
        photon.Pipeline(embedding=False, describe="ollama", describe_modle="m")
    with pytest.raises(TypeError):
        photon.Pipeline(embedding=False, describe="ollama", describe_model="m", describe_size="big")
