#!/usr/bin/env python3
"""Test-only Ollama API shim in front of an OpenAI-compatible server (llama.cpp's llama-server).

Speaks enough of Ollama's HTTP API for lore-digest's Ollama backend (ollama-rs 0.3.6) and
forwards generation to UPSTREAM/chat/completions (or UPSTREAM/completions for raw prompts).
Python 3 standard library only.

    python3 scripts/ollama-shim.py --port P --upstream http://127.0.0.1:Q/v1 \
        --model-name smollm2 --model-file PATH.gguf

--model-name must be the name the upstream serves (llama-server's --alias). With --model-file,
/api/tags and /api/show describe that GGUF: size, sha256 digest, and from its header the
architecture, context length, parameter count and quantization.

Routes:
    GET  /                 "Ollama is running"
    GET  /api/version      {"version": ...}
    GET  /api/tags         one model: name, model, modified_at, size, digest (sha256 of the file), details
    GET  /api/ps           the same model as loaded
    POST /api/show         modelfile, parameters, template, details, model_info, capabilities
    POST /api/chat         messages + options (temperature, seed, num_predict, top_k, top_p, stop,
                           repeat_penalty; num_ctx accepted, the upstream's context is fixed);
                           stream true (default, NDJSON) or false
    POST /api/generate     prompt (+ system, raw), same options and streaming
    GET  /shim/stats       {"requests": {...route: count}, "upstream_requests": n} (test hook)
Unknown models answer 404 {"error": "model '...' not found"} as Ollama does.
"""

import argparse
import datetime as _dt
import hashlib
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OLLAMA_VERSION = "0.12.0"


def now_iso():
    return _dt.datetime.now(_dt.timezone.utc).astimezone().isoformat(timespec="microseconds")


GGUF_FILE_TYPES = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
                   10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
                   16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}


def gguf_info(path):
    """Scalar metadata of a GGUF file's header, plus "parameter_count" summed over its tensors.
    Arrays (the tokenizer's vocabulary) are skipped. Raises on a file that is not GGUF."""
    import struct

    with open(path, "rb") as f:
        def take(fmt):
            n = struct.calcsize(fmt)
            b = f.read(n)
            if len(b) != n:
                raise ValueError("truncated GGUF header")
            return struct.unpack("<" + fmt, b)[0]

        def string():
            n = take("Q")
            return f.read(n).decode("utf-8", "replace")

        scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

        def value(t):
            if t in scalar:
                return take(scalar[t])
            if t == 8:
                return string()
            if t == 9:
                et, n = take("I"), take("Q")
                if et in scalar:  # skip fixed-size items in one seek
                    f.seek(n * struct.calcsize(scalar[et]), 1)
                else:
                    for _ in range(n):
                        value(et)
                return None
            raise ValueError("unknown GGUF value type %d" % t)

        if f.read(4) != b"GGUF":
            raise ValueError("not a GGUF file")
        version = take("I")
        if version < 2:
            raise ValueError("GGUF version %d not supported" % version)
        n_tensors, n_kv = take("Q"), take("Q")
        meta = {}
        for _ in range(n_kv):
            key = string()
            v = value(take("I"))
            if v is not None:
                meta[key] = v
        params = 0
        for _ in range(n_tensors):
            string()
            dims = [take("Q") for _ in range(take("I"))]
            take("I")  # type
            take("Q")  # offset
            n = 1
            for d in dims:
                n *= d
            params += n
        meta["parameter_count"] = params
        return meta


def size_label(n):
    for unit, div in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= div:
            return "%.2f%s" % (n / div, unit)
    return str(n)


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Shim:
    def __init__(self, args):
        self.upstream = args.upstream.rstrip("/")
        self.name = args.model_name
        self.tagged = self.name if ":" in self.name else self.name + ":latest"
        self.file = args.model_file
        self.timeout = args.timeout
        if self.file and os.path.exists(self.file):
            st = os.stat(self.file)
            self.size = st.st_size
            self.modified = _dt.datetime.fromtimestamp(st.st_mtime, _dt.timezone.utc).astimezone().isoformat()
            self.digest = file_sha256(self.file)
            try:
                self.meta = gguf_info(self.file)
            except (OSError, ValueError, UnicodeDecodeError) as e:
                sys.stderr.write("ollama-shim: %s: no GGUF metadata (%s)\n" % (self.file, e))
                self.meta = {}
        else:  # stable fake derived from the name/path
            self.size = 0
            self.modified = "2025-01-01T00:00:00Z"
            self.digest = hashlib.sha256(("%s|%s" % (self.name, self.file)).encode()).hexdigest()
            self.meta = {}
        self.arch = self.meta.get("general.architecture") or "unknown"
        self.params = self.meta.get("parameter_count") or 0
        self.quant = GGUF_FILE_TYPES.get(self.meta.get("general.file_type"), "unknown")
        self.lock = threading.Lock()
        self.counts = {}
        self.upstream_requests = 0

    def count(self, route):
        with self.lock:
            self.counts[route] = self.counts.get(route, 0) + 1

    def count_upstream(self):
        with self.lock:
            self.upstream_requests += 1

    def known(self, model):
        return model in (self.name, self.tagged)

    def details(self):
        return {
            "parent_model": "",
            "format": "gguf",
            "family": self.arch,
            "families": [self.arch],
            "parameter_size": size_label(self.params) if self.params else "",
            "quantization_level": self.quant,
        }

    def model_info(self):
        """/api/show model_info: the GGUF's scalar metadata as Ollama shows it (no tokenizer)."""
        info = {k: v for k, v in self.meta.items()
                if k.startswith("general.") or k.startswith(self.arch + ".")}
        info["general.architecture"] = self.arch
        if self.params:
            info["general.parameter_count"] = self.params
        return info

    def model_entry(self):
        return {
            "name": self.tagged,
            "model": self.tagged,
            "modified_at": self.modified,
            "size": self.size,
            "digest": self.digest,
            "details": self.details(),
        }


def ollama_options_to_openai(opts, body):
    """Map Ollama `options` onto an OpenAI/llama.cpp request body."""
    opts = opts or {}
    if "temperature" in opts:
        body["temperature"] = opts["temperature"]
    if "seed" in opts:
        body["seed"] = opts["seed"]
    if "top_p" in opts:
        body["top_p"] = opts["top_p"]
    if "top_k" in opts:
        body["top_k"] = opts["top_k"]  # llama.cpp extension
    if "min_p" in opts:
        body["min_p"] = opts["min_p"]
    if "repeat_penalty" in opts:
        body["repeat_penalty"] = opts["repeat_penalty"]
    if "presence_penalty" in opts:
        body["presence_penalty"] = opts["presence_penalty"]
    if "frequency_penalty" in opts:
        body["frequency_penalty"] = opts["frequency_penalty"]
    if opts.get("stop"):
        body["stop"] = opts["stop"]
    n = opts.get("num_predict")
    if isinstance(n, int) and n > 0:
        body["max_tokens"] = n
    # num_ctx: the upstream's context is fixed at start (-c); accepted and ignored.


def format_to_response_format(fmt):
    if fmt is None or fmt == "":
        return None
    if fmt == "json":
        return {"type": "json_object"}
    if isinstance(fmt, dict):
        return {"type": "json_schema", "json_schema": {"name": "schema", "schema": fmt}}
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ollama-shim/1"
    shim = None  # set in main
    quiet = False

    def log_message(self, fmt, *args):
        if not self.quiet:
            sys.stderr.write("ollama-shim: %s - %s\n" % (self.address_string(), fmt % args))

    # ---- plumbing -------------------------------------------------------------------------
    def send_json(self, obj, status=200):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_text(self, text, status=200):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def error(self, status, msg):
        self.send_json({"error": msg}, status)

    def read_json(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return {}
        return json.loads(raw)

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def stream_obj(self, obj):
        data = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # ---- routes ---------------------------------------------------------------------------
    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        self.shim.count("GET " + path)
        s = self.shim
        if path == "/":
            self.send_text("Ollama is running")
        elif path == "/api/version":
            self.send_json({"version": OLLAMA_VERSION})
        elif path == "/api/tags":
            self.send_json({"models": [s.model_entry()]})
        elif path == "/api/ps":
            e = s.model_entry()
            e.update({"expires_at": "2099-01-01T00:00:00Z", "size_vram": 0})
            self.send_json({"models": [e]})
        elif path == "/shim/stats":
            with s.lock:
                self.send_json({"requests": dict(s.counts), "upstream_requests": s.upstream_requests})
        else:
            self.send_text("404 page not found", 404)

    def do_POST(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        self.shim.count("POST " + path)
        try:
            req = self.read_json()
        except (ValueError, UnicodeDecodeError) as e:
            return self.error(400, "invalid JSON body: %s" % e)
        if not isinstance(req, dict):
            return self.error(400, "request body must be a JSON object")
        try:
            if path == "/api/chat":
                return self.chat(req)
            if path == "/api/generate":
                return self.generate(req)
            if path == "/api/show":
                return self.show(req)
            self.send_text("404 page not found", 404)
        except (BrokenPipeError, ConnectionResetError):
            pass  # client went away

    def check_model(self, req):
        model = req.get("model") or req.get("name") or ""
        if not model:
            self.error(400, "model is required")
            return None
        if not self.shim.known(model):
            self.error(404, "model '%s' not found" % model)
            return None
        return model

    def show(self, req):
        model = self.check_model(req)
        if model is None:
            return
        s = self.shim
        self.send_json({
            "license": s.meta.get("general.license") or "",
            "modelfile": "# Modelfile generated by ollama-shim\nFROM %s\n" % (s.file or s.name),
            "parameters": "",
            "template": "{{ .Prompt }}",
            "details": s.details(),
            "model_info": s.model_info(),
            "capabilities": ["completion"],
            "modified_at": s.modified,
        })

    def chat(self, req):
        model = self.check_model(req)
        if model is None:
            return
        msgs = req.get("messages")
        if not isinstance(msgs, list):
            return self.error(400, "messages must be a list")
        out_msgs = []
        for m in msgs:
            if not isinstance(m, dict):
                return self.error(400, "each message must be an object")
            out_msgs.append({"role": m.get("role", "user"), "content": m.get("content") or ""})
        self.forward(req, model, {"messages": out_msgs}, kind="chat")

    def generate(self, req):
        model = self.check_model(req)
        if model is None:
            return
        prompt = req.get("prompt") or ""
        if prompt == "" and not req.get("system"):
            # Ollama loads the model and answers done with an empty response.
            return self.send_json({"model": model, "created_at": now_iso(), "response": "",
                                   "done": True, "done_reason": "load"})
        if req.get("raw"):
            self.forward(req, model, {"prompt": prompt}, kind="generate", raw=True)
        else:
            msgs = []
            if req.get("system"):
                msgs.append({"role": "system", "content": req["system"]})
            msgs.append({"role": "user", "content": prompt})
            self.forward(req, model, {"messages": msgs}, kind="generate")

    # ---- forwarding -----------------------------------------------------------------------
    def forward(self, req, model, body, kind, raw=False):
        s = self.shim
        stream = req.get("stream", True) is not False
        body = dict(body)
        body["model"] = s.name
        body["stream"] = stream
        if stream:
            body["stream_options"] = {"include_usage": True}
        ollama_options_to_openai(req.get("options"), body)
        rf = format_to_response_format(req.get("format"))
        if rf:
            body["response_format"] = rf
        url = s.upstream + ("/completions" if raw else "/chat/completions")
        t0 = time.monotonic_ns()
        hreq = urllib.request.Request(url, data=json.dumps(body).encode(),
                                      headers={"Content-Type": "application/json"}, method="POST")
        s.count_upstream()
        try:
            resp = urllib.request.urlopen(hreq, timeout=s.timeout)
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")
            try:
                detail = json.loads(detail).get("error", {}).get("message", detail)
            except (ValueError, AttributeError):
                pass
            return self.error(e.code if e.code >= 400 else 500, "upstream: %s" % detail)
        except (urllib.error.URLError, OSError) as e:
            return self.error(502, "upstream unreachable: %s" % e)

        def piece(text, done=False):
            base = {"model": model, "created_at": now_iso()}
            if kind == "chat":
                base["message"] = {"role": "assistant", "content": text}
            else:
                base["response"] = text
            base["done"] = done
            return base

        def final_fields(obj, usage, timings, finish, total_ns):
            timings, usage = timings or {}, usage or {}
            # Whole prompt (cached tokens included), as Ollama counts it.
            prompt_n = usage.get("prompt_tokens")
            if prompt_n is None:
                prompt_n = (timings.get("prompt_n") or 0) + (timings.get("cache_n") or 0)
            pred_n = usage.get("completion_tokens")
            if pred_n is None:
                pred_n = timings.get("predicted_n") or 0
            prompt_ns = int(float(timings.get("prompt_ms") or 0) * 1e6)
            pred_ns = int(float(timings.get("predicted_ms") or 0) * 1e6)
            reason = {"length": "length"}.get(finish or "stop", "stop")
            obj.update({
                "done_reason": reason,
                "total_duration": max(total_ns, prompt_ns + pred_ns),
                "load_duration": 0,
                "prompt_eval_count": int(prompt_n),
                "prompt_eval_duration": prompt_ns,
                "eval_count": int(pred_n),
                "eval_duration": pred_ns,
            })
            if kind == "generate":
                obj["context"] = []
            return obj

        with resp:
            if not stream:
                data = json.loads(resp.read())
                ch = (data.get("choices") or [{}])[0]
                text = (ch.get("message") or {}).get("content") if not raw else ch.get("text")
                out = piece(text or "", done=True)
                final_fields(out, data.get("usage"), data.get("timings"), ch.get("finish_reason"),
                             time.monotonic_ns() - t0)
                return self.send_json(out)

            self.start_stream()
            usage = timings = finish = None
            for line in resp:
                line = line.strip()
                if not line.startswith(b"data:"):
                    continue
                payload = line[5:].strip()
                if payload == b"[DONE]":
                    break
                try:
                    ev = json.loads(payload)
                except ValueError:
                    continue
                if ev.get("usage"):
                    usage = ev["usage"]
                if ev.get("timings"):
                    timings = ev["timings"]
                for ch in ev.get("choices") or []:
                    if ch.get("finish_reason"):
                        finish = ch["finish_reason"]
                    text = ch.get("text") if raw else (ch.get("delta") or {}).get("content")
                    if text:
                        self.stream_obj(piece(text))
            last = piece("", done=True)
            final_fields(last, usage, timings, finish, time.monotonic_ns() - t0)
            self.stream_obj(last)
            self.end_stream()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--upstream", required=True, help="OpenAI base URL, e.g. http://127.0.0.1:8080/v1")
    ap.add_argument("--model-name", default="smollm2", help="the upstream's model name (its --alias)")
    ap.add_argument("--model-file", default="", help="GGUF file (size and sha256 digest for /api/tags)")
    ap.add_argument("--timeout", type=float, default=600.0, help="upstream timeout, seconds")
    ap.add_argument("--quiet", action="store_true", help="no access log")
    args = ap.parse_args()
    Handler.shim = Shim(args)
    Handler.quiet = args.quiet
    srv = ThreadingHTTPServer((args.host, args.port), Handler)
    srv.daemon_threads = True
    sys.stderr.write("ollama-shim: listening on http://%s:%d -> %s (model %s, digest %s)\n"
                     % (args.host, args.port, Handler.shim.upstream, Handler.shim.tagged,
                        Handler.shim.digest[:12]))
    sys.stderr.flush()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
