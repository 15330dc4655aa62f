#!/usr/bin/env python3
"""A local stand-in for Cloudinary's upload API, for the CloudinaryImageStore tests.

POST /v1_1/<cloud>/image/upload   multipart: file, api_key, timestamp, public_id, signature
POST /v1_1/<cloud>/image/destroy  form: public_id, api_key, timestamp, signature
GET  /v1_1/<cloud>/ping           Admin API ping, basic auth KEY:SECRET (the console's test)
Signatures are checked as Cloudinary documents them: the parameters except file, api_key,
resource_type and cloud_name, sorted by name, joined as k=v with &, the API secret appended,
SHA-1 in hex. Answers carry Cloudinary's JSON shape. GET /_state lists the stored public ids
and the number of requests (and destroy calls). POST /_control?destroy=down answers 500 to
every destroy until POST /_control?destroy=up (remote-delete failure tests).
Prints "READY <port>" once listening.
  --fail-first N   answer 503 to the first N API requests (retry tests)
  --tamper KIND    answer uploads with an asset other than the one sent (an answer the
                   client must not trust): public_id, insecure_url, script_url, other_asset
"""
import argparse
import base64
import email.parser
import email.policy
import hashlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EXCLUDED = {"file", "api_key", "resource_type", "cloud_name", "signature"}


def string_to_sign(params):
    pairs = sorted((k, v) for k, v in params.items() if k not in EXCLUDED and v != "")
    return "&".join(f"{k}={v}".replace("&", "%26") for k, v in pairs)


def expected_signature(params, secret):
    return hashlib.sha1((string_to_sign(params) + secret).encode()).hexdigest()


def parse_multipart(content_type, body):
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields, file_bytes, file_type = {}, None, None
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == "file":
            file_bytes, file_type = payload, part.get_content_type()
        else:
            fields[name] = payload.decode()
    return fields, file_bytes, file_type


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.stored = {}
        self.requests = 0
        self.fail_left = args.fail_first
        self.destroy_down = False
        self.destroys = []


def make_handler(state):
    args = state.args

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, obj):
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/_state":
                with state.lock:
                    return self.answer(200, {"stored": sorted(state.stored), "requests": state.requests,
                                             "destroys": list(state.destroys)})
            if self.path == f"/v1_1/{args.cloud}/ping":
                # The Admin API's ping: HTTP basic auth with the API key and secret.
                expected = base64.b64encode(f"{args.key}:{args.secret}".encode()).decode()
                if self.headers.get("Authorization", "") != "Basic " + expected:
                    return self.answer(401, {"error": {"message": "Invalid api_key or api_secret"}})
                return self.answer(200, {"status": "ok"})
            self.answer(404, {"error": {"message": "not found"}})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if self.path.startswith("/_control?"):
                query = urllib.parse.parse_qs(self.path.split("?", 1)[1])
                with state.lock:
                    state.destroy_down = query.get("destroy", ["up"])[0] == "down"
                return self.answer(200, {"destroyDown": state.destroy_down})
            with state.lock:
                state.requests += 1
                if state.fail_left > 0:
                    state.fail_left -= 1
                    return self.answer(503, {"error": {"message": "Service Unavailable"}})
            prefix = f"/v1_1/{args.cloud}/image/"
            if not self.path.startswith(prefix):
                return self.answer(404, {"error": {"message": "unknown cloud or route"}})
            action = self.path[len(prefix):]
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("multipart/form-data"):
                fields, file_bytes, file_type = parse_multipart(ctype, body)
            else:
                fields = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode(), keep_blank_values=True).items()}
                file_bytes, file_type = None, None
            if fields.get("api_key") != args.key:
                return self.answer(401, {"error": {"message": "Invalid api_key"}})
            try:
                ts = int(fields.get("timestamp", ""))
            except ValueError:
                return self.answer(400, {"error": {"message": "Missing required parameter - timestamp"}})
            if abs(time.time() - ts) > 3600:
                return self.answer(400, {"error": {"message": "Stale request"}})
            if fields.get("signature") != expected_signature(fields, args.secret):
                return self.answer(401, {"error": {"message":
                    f"Invalid Signature {fields.get('signature')}. String to sign - '{string_to_sign(fields)}'."}})
            public_id = fields.get("public_id", "")
            if action == "upload":
                if not file_bytes:
                    return self.answer(400, {"error": {"message": "Missing required parameter - file"}})
                fmt = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(file_type, "png")
                version = int(time.time())
                with state.lock:
                    state.stored[public_id] = len(file_bytes)
                path = f"{args.cloud}/image/upload/v{version}/{public_id}.{fmt}"
                answered_id, secure_url = public_id, f"https://res.cloudinary.com/{path}"
                if args.tamper == "public_id":
                    answered_id = "someone-elses-asset"
                elif args.tamper == "insecure_url":
                    secure_url = f"http://res.cloudinary.com/{path}"
                elif args.tamper == "script_url":
                    secure_url = "javascript:alert(1)//" + public_id + "." + fmt
                elif args.tamper == "other_asset":
                    secure_url = f"https://res.cloudinary.com/{args.cloud}/image/upload/v{version}/other.{fmt}"
                return self.answer(200, {
                    "asset_id": hashlib.md5(public_id.encode()).hexdigest(),
                    "public_id": answered_id, "version": version,
                    "signature": hashlib.sha1(file_bytes).hexdigest(),
                    "width": 2, "height": 2, "format": fmt, "resource_type": "image",
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "tags": [], "bytes": len(file_bytes), "type": "upload",
                    "url": f"http://res.cloudinary.com/{path}",
                    "secure_url": secure_url})
            if action == "destroy":
                with state.lock:
                    state.destroys.append(public_id)
                    if state.destroy_down:
                        return self.answer(500, {"error": {"message": "General Error"}})
                    found = state.stored.pop(public_id, None) is not None
                return self.answer(200, {"result": "ok" if found else "not found"})
            return self.answer(404, {"error": {"message": "unknown action"}})

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cloud", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    ap.add_argument("--tamper", default="", choices=["", "public_id", "insecure_url", "script_url", "other_asset"])
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(State(args)))
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
