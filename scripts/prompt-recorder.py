#!/usr/bin/env python3
"""Test-only OpenAI-compatible server that records the prompts it gets and answers each with
a fixed, cited summary of realistic length (about 150 words). No model: for measuring what
lore-digest sends (scripts/bench.sh --rolling). Python 3 standard library only.

    python3 scripts/prompt-recorder.py --port P --log FILE [--dump DIR]

GET /v1/models lists one model, "recorder" (context 32768). POST /v1/chat/completions appends
one line to FILE: estimated prompt tokens, characters, whether the prompt carries a HISTORY
SUMMARY (a rolling summary), and the thread's subject, tab-separated. Tokens are estimated
as lore-digest estimates them (src/summarize/prompt.rs): one per non-ASCII character, one per
2.8 ASCII bytes rounded up, per message, plus 8 per message for the chat template. With --dump,
each request's messages are also written to DIR/NNNN.txt.
"""

import argparse
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = (
    "Topic: the thread proposes a change to the code it names in its subject, and the mails "
    "discuss how it should be done [#1].\n"
    "Earlier discussion: the first mails describe the problem and the approach the author "
    "chose, and the reviewers asked about the details of the change [#1].\n"
    "This window: the participants kept discussing the change, answered the open points and "
    "asked for a few more adjustments before it can be taken [#1].\n"
    "- the author explained why the current behaviour is wrong and how the patch fixes it "
    "[#1].\n"
    "- the reviewers checked the reasoning and pointed at places where the description could "
    "be clearer [#1].\n"
    "- nobody objected to the general direction of the work [#1].\n"
    "Open questions and outcome: the material states no final outcome; a new posting or an "
    "applied notice would settle it [#1]."
)


def estimate(s):
    wide = sum(1 for c in s if ord(c) > 127)
    ascii_bytes = len(s) - wide
    return wide + (ascii_bytes * 5 + 13) // 14


LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    log_path = None
    dump = None
    count = 0

    def log_message(self, *args):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/v1/models":
            self.reply(200, {"object": "list", "data": [
                {"id": "recorder", "object": "model", "created": 1700000000, "owned_by": "recorder",
                 "meta": {"n_ctx_train": 32768, "size": 1}}]})
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(n) or b"{}")
        if self.path != "/v1/chat/completions":
            return self.reply(404, {"error": "not found"})
        msgs = body.get("messages") or []
        tokens = sum(estimate(m.get("content") or "") + 8 for m in msgs)
        chars = sum(len(m.get("content") or "") for m in msgs)
        user = "\n".join(m.get("content") or "" for m in msgs if m.get("role") == "user")
        subject = next((l[len("Subject: "):] for l in user.splitlines() if l.startswith("Subject: ")), "?")
        rolling = "HISTORY SUMMARY" in user
        with LOCK:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(f"{tokens}\t{chars}\t{int(rolling)}\t{subject}\n")
            if Handler.dump:
                Handler.count += 1
                path = os.path.join(Handler.dump, f"{Handler.count:04d}.txt")
                with open(path, "w", encoding="utf-8") as f:
                    f.write("\n\n".join(m.get("content") or "" for m in msgs))
        self.reply(200, {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,
            "model": body.get("model"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": ANSWER}}],
            "usage": {"prompt_tokens": tokens, "completion_tokens": 200, "total_tokens": tokens + 200},
        })


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--dump")
    a = ap.parse_args()
    Handler.log_path = a.log
    if a.dump:
        os.makedirs(a.dump, exist_ok=True)
        Handler.dump = a.dump
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    print(f"prompt-recorder on 127.0.0.1:{a.port}", file=sys.stderr, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
