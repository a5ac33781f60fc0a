"""End-to-end test of tokcount-proxy on loopback, against a test upstream that streams SSE.

Usage: test_proxy.py PROXY_BINARY TOKCOUNT_CLI_BINARY   (stdlib only; run by ctest)

The upstream is a small http.server that answers /v1/chat/completions like OpenAI: an SSE
stream (chunked, flushed event by event) or a JSON body. Expected token counts come from the
tokcount CLI's one-shot `count`, an independent path from the proxy's streaming count.
"""

from __future__ import annotations

import hashlib
import http.client
import http.server
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import sys
import threading
import time

PROXY, CLI = sys.argv[1], sys.argv[2]
MODEL = "gpt-4o-2024-08-06"
FAILURES: list[str] = []


def check(cond: bool, what: str) -> None:
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def count(text: str, model: str = MODEL) -> int:
    out = subprocess.run([CLI, "count", "-m", model, "-q", "-"], input=text.encode(), capture_output=True, check=True)
    return int(out.stdout.decode().strip())


def chat_count(body: dict, *extra: str) -> int:
    """prompt_tokens of `tokcount chat` for the same body: the proxy must use that module."""
    out = subprocess.run([CLI, "chat", *extra, "-"], input=json.dumps(body).encode(), capture_output=True, check=True)
    return json.loads(out.stdout)["prompt_tokens"]


def chunk(delta: dict | None, finish: str | None = None, usage: dict | None = None) -> bytes:
    body = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1, "model": MODEL,
            "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]}
    if usage is not None:
        body["usage"] = usage
    return b"data: " + json.dumps(body).encode() + b"\n\n"


CONTENT = ["Hello", " there, ", "streaming world! \u00e9\u4e2d"]
USAGE = {"prompt_tokens": 11, "completion_tokens": 9, "total_tokens": 20}
STREAM_EVENTS = ([chunk({"role": "assistant", "content": ""})] + [chunk({"content": c}) for c in CONTENT]
                 + [chunk({}, "stop"), chunk(None, usage=USAGE), b"data: [DONE]\n\n"])


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests: list[dict] = []
    first_chunk_seen = threading.Event()  # set by the test once the client got event 1
    gate_waited_ok: list[bool] = []

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        req = json.loads(body)
        Upstream.requests.append({"headers": dict(self.headers), "body": req})
        if req.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("x-request-id", "req_upstream_1")
            self.end_headers()
            for i, ev in enumerate(STREAM_EVENTS):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(ev), ev))
                self.wfile.flush()
                if i == 1:
                    # Hold the rest until the client has seen this event through the proxy:
                    # a proxy that buffered would make this wait time out.
                    Upstream.gate_waited_ok.append(Upstream.first_chunk_seen.wait(10))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        else:
            answer = {"id": "chatcmpl-json", "object": "chat.completion", "model": MODEL,
                      "choices": [{"index": 0, "message": {"role": "assistant", "content": "A plain JSON answer."},
                                   "finish_reason": "stop"}],
                      "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)


def start_upstream() -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_tls_upstream(directory: str) -> tuple[http.server.ThreadingHTTPServer, str] | None:
    """The same upstream over TLS, with a self-signed certificate made by the openssl CLI."""
    if shutil.which("openssl") is None:
        return None
    key, cert = os.path.join(directory, "key.pem"), os.path.join(directory, "cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, cert


def start_proxy(upstream_port: int, *extra: str, scheme: str = "http") -> tuple[subprocess.Popen, int]:
    p = subprocess.Popen([PROXY, "--listen", "127.0.0.1:0", "--upstream", f"{scheme}://127.0.0.1:{upstream_port}", *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline().decode()
    port = int(line.split("http://127.0.0.1:")[1].split(",")[0])
    return p, port


def post(port: int, body: dict, key: str = "sk-test-secret-key-1") -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/v1/chat/completions", body=json.dumps(body),
                 headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    return conn.getresponse()


def metrics(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    r = conn.getresponse()
    check(r.getheader("Content-Type", "").startswith("text/plain; version=0.0.4"), "metrics content type")
    return r.read().decode()


def metric(text: str, name: str, key: str, outcome: str | None = None) -> int:
    label = f'key="{key}"' + (f',outcome="{outcome}"' if outcome else "")
    for line in text.splitlines():
        if line.startswith(name + "{" + label + "}"):
            return int(line.rsplit(" ", 1)[1])
    return -1


def label(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:16]


def main() -> int:
    upstream = start_upstream()
    up_port = upstream.server_address[1]
    messages = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hello", "name": "bob"}]
    expected_prompt = sum(3 + count(m["role"]) + count(m["content"]) + (count(m["name"]) + 1 if "name" in m else 0)
                          for m in messages) + 3
    # The cookbook rule, computed independently of the chat module, for this plain request.
    check(chat_count({"model": MODEL, "messages": messages}) == expected_prompt, "chat module agrees with the cookbook")
    proxy, port = start_proxy(up_port, "--max-prompt-tokens", "200", "--key-budget", "1000")
    try:
        # 1. Streaming: bytes relayed unchanged and without delay, counts exact.
        key = "sk-test-secret-key-1"
        t0 = time.monotonic()
        r = post(port, {"model": MODEL, "stream": True, "messages": messages})
        check(r.status == 200, f"stream status {r.status}")
        check(r.getheader("Content-Type", "").startswith("text/event-stream"), "stream content type")
        check(r.getheader("x-request-id") == "req_upstream_1", "upstream header forwarded")
        received = b""
        while received.count(b"\n\n") < 2:
            line = r.readline()
            if not line:
                break
            received += line
        Upstream.first_chunk_seen.set()
        received += r.read()
        check(received == b"".join(STREAM_EVENTS), "streamed bytes relayed unchanged")
        check(Upstream.gate_waited_ok == [True], "first events reached the client before the upstream went on")
        check(time.monotonic() - t0 < 9, "no buffering delay")
        check(r.getheader("X-Tokcount-Prompt-Tokens") == str(expected_prompt), "prompt count header")
        sent = Upstream.requests[-1]
        check(sent["headers"].get("Authorization") == f"Bearer {key}", "Authorization forwarded")
        check(sent["body"]["messages"] == messages, "request body forwarded")

        m = metrics(port)
        check(metric(m, "tokcount_proxy_prompt_tokens_total", label(key)) == expected_prompt,
              f"prompt tokens {metric(m, 'tokcount_proxy_prompt_tokens_total', label(key))} != {expected_prompt}")
        expected_completion = count("".join(CONTENT))
        check(metric(m, "tokcount_proxy_completion_tokens_total", label(key)) == expected_completion,
              f"completion tokens {metric(m, 'tokcount_proxy_completion_tokens_total', label(key))} != {expected_completion}")
        check(metric(m, "tokcount_proxy_reported_completion_tokens_total", label(key)) == 9, "reported completion")
        check(metric(m, "tokcount_proxy_reported_prompt_tokens_total", label(key)) == 11, "reported prompt")
        check(metric(m, "tokcount_proxy_requests_total", label(key), "forwarded") == 1, "forwarded count")
        check(key not in m and "secret" not in m, "the API key never appears in metrics")

        # 2. Non-streamed JSON answer.
        r = post(port, {"model": MODEL, "messages": messages})
        body = json.loads(r.read())
        check(r.status == 200 and body["choices"][0]["message"]["content"] == "A plain JSON answer.", "json relayed")
        m = metrics(port)
        check(metric(m, "tokcount_proxy_completion_tokens_total", label(key))
              == expected_completion + count("A plain JSON answer."), "json completion counted")

        # 3. Over the per-request prompt budget: OpenAI-format 400, upstream never called.
        before = len(Upstream.requests)
        r = post(port, {"model": MODEL, "messages": [{"role": "user", "content": "word " * 400}]})
        err = json.loads(r.read())
        check(r.status == 400, f"prompt budget status {r.status}")
        check(err["error"]["type"] == "invalid_request_error" and err["error"]["code"] == "prompt_token_budget_exceeded",
              f"prompt budget error body {err}")
        check("message" in err["error"] and "param" in err["error"], "OpenAI error fields")
        check(len(Upstream.requests) == before, "rejected request not forwarded")

        # 3b. Tools, images and unknown models: counted by the chat module, like `tokcount chat`.
        tools = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
        with_tools = {"model": MODEL, "messages": messages, "tools": tools}
        r = post(port, with_tools)
        r.read()
        want = chat_count(with_tools)
        check(r.status == 200 and want > expected_prompt, f"tools request forwarded ({r.status})")
        check(r.getheader("X-Tokcount-Prompt-Tokens") == str(want),
              f"tools counted: {r.getheader('X-Tokcount-Prompt-Tokens')} != {want}")
        r = post(port, {"model": "my-local-model", "messages": messages})
        err = json.loads(r.read())
        check(r.status == 400 and err["error"]["code"] == "model_not_found", f"unknown model refused: {err}")
        check(err["error"]["param"] == "model", "unknown model names the param")
        r = post(port, {"model": MODEL, "messages": [{"role": "user", "content": 7}]})
        err = json.loads(r.read())
        check(r.status == 400 and err["error"]["code"] == "invalid_value" and "content" in err["error"]["message"],
              f"wrong-shaped content refused: {err}")

        # 4. Malformed JSON body: 400 in the same format.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/v1/chat/completions", body="{not json", headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        check(r.status == 400 and json.loads(r.read())["error"]["type"] == "invalid_request_error", "bad json 400")

        # 5. Per-key budget: a second key with a tiny budget on a fresh proxy.
        proxy2, port2 = start_proxy(up_port, "--key-budget", str(expected_prompt + 1))
        try:
            k2 = "sk-other-key-2"
            r = post(port2, {"model": MODEL, "stream": True, "messages": messages}, key=k2)
            r.read()
            check(r.status == 200, "first request within key budget")
            r = post(port2, {"model": MODEL, "stream": True, "messages": messages}, key=k2)
            err = json.loads(r.read())
            check(r.status == 429 and err["error"]["code"] == "token_budget_exceeded", f"key budget 429: {err}")
            r = post(port2, {"model": MODEL, "messages": messages}, key="sk-third-key")
            r.read()
            check(r.status == 200, "another key is not affected")
            m2 = metrics(port2)
            check(metric(m2, "tokcount_proxy_requests_total", label(k2), "rejected_key_budget") == 1, "rejection counted")
        finally:
            proxy2.terminate()
            proxy2.wait(10)

        # 5b. --fallback-encoding counts unknown models instead of refusing them.
        proxy6, port6 = start_proxy(up_port, "--fallback-encoding", "cl100k_base")
        try:
            r = post(port6, {"model": "my-local-model", "messages": messages})
            r.read()
            check(r.status == 200 and r.getheader("X-Tokcount-Prompt-Tokens")
                  == str(chat_count({"model": "my-local-model", "messages": messages}, "-e", "cl100k_base")),
                  "fallback encoding counts an unknown model")
            # A remote image is never fetched: by default it counts at the model's worst case
            # (over this proxy's 200-token limit above, so checked here, without a limit).
            remote_image = {"model": MODEL, "messages": [{"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "high"}}]}]}
            r = post(port6, remote_image)
            r.read()
            check(r.status == 200 and r.getheader("X-Tokcount-Prompt-Tokens")
                  == str(chat_count(remote_image, "--images-worst-case")), "remote image counted at worst case")
            check(metric(metrics(port6), "tokcount_proxy_uncertain_prompt_counts_total", label(key)) >= 1,
                  "uncertain count recorded")
        finally:
            proxy6.terminate()
            proxy6.wait(10)

        # 6. An https upstream (cpp-httplib built with OpenSSL): verified against --ca-file, and
        #    refused (502) when the certificate is not trusted.
        with tempfile.TemporaryDirectory() as tmp:
            tls = start_tls_upstream(tmp)
            if tls is None:
                print("skip: no openssl CLI for the https upstream test")
            else:
                tls_server, cert = tls
                tls_port = tls_server.server_address[1]
                Upstream.first_chunk_seen.set()  # no gating needed here
                proxy4, port4 = start_proxy(tls_port, "--ca-file", cert, scheme="https")
                try:
                    r = post(port4, {"model": MODEL, "stream": True, "messages": messages})
                    check(r.status == 200 and r.read() == b"".join(STREAM_EVENTS), "stream relayed from an https upstream")
                    check(metric(metrics(port4), "tokcount_proxy_completion_tokens_total", label(key))
                          == expected_completion, "https stream counted")
                finally:
                    proxy4.terminate()
                    proxy4.wait(10)
                proxy5, port5 = start_proxy(tls_port, scheme="https")
                try:
                    r = post(port5, {"model": MODEL, "messages": messages})
                    check(r.status == 502, f"untrusted certificate refused: {r.status}")
                    r.read()
                finally:
                    proxy5.terminate()
                    proxy5.wait(10)
                tls_server.shutdown()

        # 7. Upstream unreachable: 502 in OpenAI's format.
        proxy3, port3 = start_proxy(1)  # nothing listens on port 1
        try:
            r = post(port3, {"model": MODEL, "messages": messages})
            err = json.loads(r.read())
            check(r.status == 502 and "error" in err, f"unreachable upstream: {r.status} {err}")
        finally:
            proxy3.terminate()
            proxy3.wait(10)
    finally:
        proxy.terminate()
        out, errs = proxy.communicate(timeout=10)
        check(b"secret" not in out + errs, "the API key is never logged")
        upstream.shutdown()
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print("proxy end-to-end: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
