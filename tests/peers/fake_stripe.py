#!/usr/bin/env python3
"""A loopback stand-in for api.stripe.com used by the tests (Python stdlib only).

Speaks the part of Stripe's API that Mercato uses: form-encoded POST /v1/payment_intents,
GET /v1/payment_intents/{id}, POST /v1/refunds, GET /v1/balance (the console's key test); `Authorization: Bearer sk_test_...`;
`Idempotency-Key` replay (same key + same body: the first answer with
`Idempotent-Replayed: true`; another body: 400 idempotency_error); Stripe's error objects.

Test controls (not Stripe's):
  GET  /_test/requests           every request seen: method, path, headers, form, status
  POST /_test/fail               {"status": 500, "count": 1} or {"delayMs": 3000, "count": 1}:
                                 the next `count` API requests fail that way
  POST /_test/succeed/{pi}       {"amount": n?}: the intent is paid (as the browser would do)
Start: fake_stripe.py [--port N]; prints "PORT <n>" on stdout once listening.
"""
import argparse
import http.server
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse

LOCK = threading.Lock()
REQUESTS = []
INTENTS = {}
REFUNDS = {}
IDEMPOTENCY = {}
FAULTS = []


def rand(n=24):
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def parse_form(body):
    """Stripe's form encoding: `metadata[k]=v` becomes {"metadata": {"k": "v"}}."""
    out = {}
    for key, value in urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        head = key.split("[", 1)[0]
        path = [head] + re.findall(r"\[([^\]]*)\]", key[len(head):])
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return out


def error(kind, message, code=None, param=None, status=400):
    err = {"type": kind, "message": message}
    if code:
        err["code"] = code
    if param:
        err["param"] = param
    return status, {"error": err}


def create_intent(form):
    try:
        amount = int(form.get("amount", ""))
    except ValueError:
        return error("invalid_request_error", "Missing required param: amount.", "parameter_missing", "amount")
    if amount < 1:
        return error("invalid_request_error", "Amount must be at least 1", "amount_too_small", "amount")
    currency = form.get("currency")
    if not currency:
        return error("invalid_request_error", "Missing required param: currency.", "parameter_missing", "currency")
    pi_id = "pi_" + rand()
    pi = {"id": pi_id, "object": "payment_intent", "amount": amount, "amount_received": 0,
          "currency": currency.lower(), "status": "requires_payment_method",
          "client_secret": f"{pi_id}_secret_{rand()}", "metadata": form.get("metadata") or {},
          "automatic_payment_methods": form.get("automatic_payment_methods"),
          "latest_charge": None, "created": int(time.time()), "livemode": False}
    INTENTS[pi_id] = pi
    return 200, dict(pi)


def create_refund(form):
    pi = INTENTS.get(form.get("payment_intent", ""))
    if pi is None:
        return error("invalid_request_error", "No such payment_intent", "resource_missing", "payment_intent")
    if pi["status"] != "succeeded":
        return error("invalid_request_error", "This PaymentIntent does not have a successful charge to refund.",
                     "charge_not_refundable")
    already = sum(r["amount"] for r in REFUNDS.values() if r["payment_intent"] == pi["id"])
    remaining = pi["amount_received"] - already
    amount = int(form.get("amount", remaining))
    if amount < 1 or amount > remaining:
        return error("invalid_request_error", f"Refund amount ({amount}) is greater than unrefunded amount "
                     f"({remaining})", "amount_too_large", "amount")
    ref = {"id": "re_" + rand(), "object": "refund", "amount": amount, "currency": pi["currency"],
           "payment_intent": pi["id"], "charge": pi["latest_charge"], "status": "succeeded"}
    REFUNDS[ref["id"]] = ref
    return 200, dict(ref)


def route(method, path, form):
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["v1", "payment_intents"]:
        if method == "POST" and len(parts) == 2:
            return create_intent(form)
        if method == "GET" and len(parts) == 3:
            pi = INTENTS.get(parts[2])
            if pi is None:
                return error("invalid_request_error", f"No such payment_intent: '{parts[2]}'",
                             "resource_missing", "intent", 404)
            return 200, dict(pi)
    if parts == ["v1", "balance"] and method == "GET":
        return 200, {"object": "balance", "livemode": False,
                     "available": [{"amount": 0, "currency": "usd"}],
                     "pending": [{"amount": 0, "currency": "usd"}]}
    if parts[:2] == ["v1", "refunds"] and method == "POST" and len(parts) == 2:
        return create_refund(form)
    return error("invalid_request_error", f"Unrecognized request URL ({method}: {path})", status=404)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, payload, extra=None):
        out = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.send_header("Request-Id", "req_" + rand(14))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(out)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def serve(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        if url.path.startswith("/_test/"):
            return self.control(url.path, body)
        form = parse_form(body) if self.command == "POST" else {}
        record = {"method": self.command, "path": url.path, "headers": headers, "form": form,
                  "body": body.decode("utf-8", "replace")}
        with LOCK:
            fault = None
            if FAULTS:
                fault = dict(FAULTS[0])
                FAULTS[0]["count"] -= 1
                if FAULTS[0]["count"] <= 0:
                    FAULTS.pop(0)
        status, payload, extra = self.answer(fault, headers, form, body)
        record["status"] = status
        with LOCK:
            REQUESTS.append(record)
        if status is None:
            return  # the delay outlived the client; nothing to answer
        self.reply(status, payload, extra)

    def answer(self, fault, headers, form, body):
        if fault and fault.get("delayMs"):
            time.sleep(fault["delayMs"] / 1000.0)
        if fault and fault.get("status"):
            s, p = error("api_error", "Something went wrong on Stripe's end.", status=fault["status"])
            return s, p, {}
        auth = headers.get("authorization", "")
        if not (auth.startswith("Bearer ") and auth[7:].strip().startswith("sk_test_")):
            s, p = error("invalid_request_error", "Invalid API Key provided", "api_key_invalid", status=401)
            return s, p, {}
        key = headers.get("idempotency-key")
        with LOCK:
            if self.command == "POST" and key:
                seen = IDEMPOTENCY.get(key)
                if seen is not None:
                    if seen["path"] == self.path and seen["body"] == body:
                        return seen["status"], seen["payload"], {"Idempotent-Replayed": "true"}
                    s, p = error("idempotency_error", "Keys for idempotent requests can only be used with the "
                                 "same parameters they were first used with.")
                    return s, p, {}
            status, payload = route(self.command, urllib.parse.urlsplit(self.path).path, form)
            if self.command == "POST" and key and status < 500:
                IDEMPOTENCY[key] = {"path": self.path, "body": body, "status": status, "payload": payload}
        return status, payload, {}

    def control(self, path, body):
        data = json.loads(body or b"{}")
        with LOCK:
            if path == "/_test/requests":
                return self.reply(200, REQUESTS)
            if path == "/_test/fail":
                FAULTS.append({"status": data.get("status"), "delayMs": data.get("delayMs"),
                               "count": int(data.get("count", 1))})
                return self.reply(200, {"ok": True})
            if path.startswith("/_test/succeed/"):
                pi = INTENTS.get(path.rsplit("/", 1)[1])
                if pi is None:
                    return self.reply(404, {"error": "no such intent"})
                if data.get("amount") is not None:
                    pi["amount"] = int(data["amount"])
                pi["status"] = "succeeded"
                pi["amount_received"] = pi["amount"]
                pi["latest_charge"] = pi.get("latest_charge") or "ch_" + rand()
                return self.reply(200, pi)
        return self.reply(404, {"error": "unknown control"})

    do_GET = serve
    do_POST = serve


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    httpd.daemon_threads = True
    print(f"PORT {httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
