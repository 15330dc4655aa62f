#!/usr/bin/env python3
"""Soak: mixed customer and seller traffic against one mercato-server, on loopback only.

Starts the server (fresh data folder; SQLite unless --database names PostgreSQL), makes
sellers, products and customers through the API, then runs for --seconds with --threads
clients, each on its own keep-alive connection, picking actions by weight:

  browse (list, search, sort, paging), product page, add to cart + checkout, cancel an unpaid
  order, the seller marks an order paid then the customer asks a refund and the seller
  approves it, notifications, /me, and logins (scrypt at the production cost, so at most one
  every --login-every seconds).

Every --sample seconds it records the server's resident memory (VmRSS), its open file
descriptors, and the p50/p99 latency and count of the requests finished in that window. At
the end it prints the samples and fails (exit 1) when:
  - any request got a 5xx or a transport error;
  - memory grew (sampled between logins, whose scrypt takes 128 MiB for a moment): the median RSS of the last quarter of the samples exceeds the median of the
    second quarter by more than --rss-growth (fraction) AND by more than --rss-slack-mib;
  - descriptors grew: the last quarter's maximum exceeds the second quarter's by more than 8;
  - latency grew: the last quarter's median p99 exceeds 3x the second quarter's and 100 ms.
The first quarter is warm-up (caches, pools, allocator arenas) and is not judged.

  tests/soak/soak.py --server build/app/mercato-server --seconds 600            # long
  tests/soak/soak.py --server build/app/mercato-server --seconds 60 --sample 2  # CI
"""
import argparse
import base64
import csv
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

WORDS = ["teapot", "mug", "linen", "walnut", "candle", "basket", "brass", "wool", "glaze", "oak"]
PASSWORD = "soak password 1234"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Api:
    """One keep-alive connection; reconnects after the server closes it."""

    def __init__(self, port):
        self.port = port
        self.conn = None
        self.token = None

    def call(self, method, path, body=None, token=None):
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        tok = token if token is not None else self.token
        if tok:
            headers["Authorization"] = "Bearer " + tok
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                start = time.monotonic()
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                elapsed = time.monotonic() - start
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                try:
                    parsed = json.loads(payload) if payload else None
                except ValueError:
                    parsed = None
                return resp.status, parsed, elapsed
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed (idle timeout): once more, fresh.
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.window = []
        self.total = 0
        self.errors = []  # (what, status or exception)
        self.by_action = {}

    def record(self, action, status, elapsed):
        with self.lock:
            self.window.append(elapsed)
            self.total += 1
            self.by_action[action] = self.by_action.get(action, 0) + 1
            if status >= 500:
                self.errors.append((action, status))

    def failure(self, action, what):
        with self.lock:
            self.errors.append((action, what))

    def take_window(self):
        with self.lock:
            w, self.window = self.window, []
        return w


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * len(values) + 0.5)) - 1))
    return values[k]


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def proc_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def judge(samples, rss_growth, rss_slack_mib):
    """What grew between the second quarter of the samples and the last (the first is warm-up)."""
    if len(samples) < 8:
        return [f"only {len(samples)} samples: run longer or sample more often"]
    failures = []
    q = len(samples) // 4
    second, last = samples[q:2 * q], samples[-q:]
    rss_a = statistics.median(s["rss_kib"] for s in second)
    rss_b = statistics.median(s["rss_kib"] for s in last)
    if rss_b > rss_a * (1 + rss_growth) and rss_b - rss_a > rss_slack_mib * 1024:
        failures.append(f"memory grew: median RSS {rss_a:.0f} KiB -> {rss_b:.0f} KiB")
    fd_a = max(s["fds"] for s in second)
    fd_b = max(s["fds"] for s in last)
    if fd_b > fd_a + 8:
        failures.append(f"descriptors grew: {fd_a} -> {fd_b}")
    p99_a = statistics.median(s["p99_ms"] for s in second)
    p99_b = statistics.median(s["p99_ms"] for s in last)
    if p99_b > 3 * p99_a and p99_b > 100:
        failures.append(f"p99 latency grew: {p99_a} ms -> {p99_b} ms")
    print(f"judged: RSS median {rss_a:.0f} -> {rss_b:.0f} KiB, fds max {fd_a} -> {fd_b}, "
          f"p99 median {p99_a} -> {p99_b} ms")
    return failures


def self_test():
    """The judge itself: flat series pass, each kind of growth fails."""
    def series(rss=lambda i: 30000, fds=lambda i: 25, p99=lambda i: 40.0):
        return [{"rss_kib": rss(i), "fds": fds(i), "p99_ms": p99(i)} for i in range(20)]
    cases = [
        ("flat", series(), 0),
        ("noisy but flat", series(rss=lambda i: 30000 + (i % 3) * 2000, p99=lambda i: 40.0 + (i % 4) * 10), 0),
        ("leaking memory", series(rss=lambda i: 30000 + i * 3000), 1),
        ("leaking descriptors", series(fds=lambda i: 25 + i), 1),
        ("slowing down", series(p99=lambda i: 40.0 * 1.25 ** i), 1),
        ("too short", series()[:5], 1),
    ]
    ok = True
    for name, samples, expected in cases:
        got = len(judge(samples, 0.25, 16))
        if (got > 0) != (expected > 0):
            print(f"self-test {name}: expected {'a failure' if expected else 'a pass'}, got {got} failures")
            ok = False
    print("judge self-test " + ("passed" if ok else "FAILED"))
    return ok


def register(api, role, name):
    email = f"{role}-{name}-{random.getrandbits(40):x}@soak.example"
    status, body, _ = api.call("POST", "/api/v1/auth/register",
                               {"email": email, "password": PASSWORD, "displayName": name, "role": role})
    if status != 201:
        raise SystemExit(f"register {role} failed: {status} {body}")
    return {"email": email, "id": body["user"]["id"], "token": body["accessToken"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True)
    ap.add_argument("--database", default="", help="a PostgreSQL URL of an empty database (default: SQLite)")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--sample", type=float, default=10)
    ap.add_argument("--threads", type=int, default=6)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--login-every", type=float, default=2.0)
    ap.add_argument("--rss-growth", type=float, default=0.25)
    ap.add_argument("--rss-slack-mib", type=float, default=16)
    ap.add_argument("--csv", default="", help="write the samples here")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--leaks-only", action="store_true",
                    help="sanitizer builds: judge failed requests and the server's clean exit only")
    ap.add_argument("--self-test", action="store_true", help="check the growth judge, then soak")
    args = ap.parse_args()
    if args.self_test and not self_test():
        return 1
    random.seed(args.seed)

    tmp = tempfile.TemporaryDirectory(prefix="mercato-soak-")
    port = free_port()
    env = dict(os.environ)
    env.update({
        "MERCATO_DATA_DIR": os.path.join(tmp.name, "data"),
        "MERCATO_LISTEN": f"127.0.0.1:{port}",
        "MERCATO_WORKERS": str(args.workers),
        "MERCATO_JWT_SECRET": base64.b64encode(os.urandom(32)).decode(),
        "MERCATO_AUTH_RATE_LIMIT": "0",
        "MERCATO_MAX_CONNECTIONS_PER_CLIENT": "256",
        # An open marketplace: the sellers register through the API like the customers, and a
        # customer's unpaid orders are not capped (the order-then-cancel mix holds several).
        "MERCATO_SELLER_APPROVAL": "off",
        "MERCATO_MAX_UNPAID_ORDERS": "0",
    })
    if args.database:
        env["MERCATO_DATABASE"] = args.database
    log = open(os.path.join(tmp.name, "server.log"), "wb")
    server = subprocess.Popen([args.server], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        status = run(args, server, port, tmp.name)
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        log.close()
    # SIGTERM is a clean stop: exit code 0 (a sanitizer's report, a leak included, is not 0).
    if server.returncode != 0:
        print(f"SOAK FAILED: the server exited with {server.returncode}; log tail:")
        with open(os.path.join(tmp.name, "server.log"), "rb") as f:
            print(f.read()[-6000:].decode(errors="replace"))
        return 1
    print(f"server stopped cleanly (exit 0)")
    return status


def run(args, server, port, tmpdir):
    setup = Api(port)
    for _ in range(600):  # a minute: a sanitizer build starts slowly
        try:
            if setup.call("GET", "/readyz")[0] == 200:
                break
        except OSError:
            setup.conn = None
        time.sleep(0.1)
    else:
        raise SystemExit("the server did not become ready")

    sellers = [register(setup, "seller", f"Seller{i}") for i in range(2)]
    products = []
    for s in sellers:
        for i in range(25):
            words = " ".join(random.sample(WORDS, 3))
            status, body, _ = setup.call("POST", "/api/v1/products", {
                "name": f"{words.title()} {i}", "description": f"A {words} for the soak",
                "priceCents": random.randint(200, 20000), "stock": 1000000, "lowStockThreshold": 0},
                token=s["token"])
            if status != 201:
                raise SystemExit(f"product create failed: {status} {body}")
            products.append((body["id"], s))
    customers = [register(setup, "customer", f"Customer{i}") for i in range(args.threads * 2)]
    seller_of = {pid: s for pid, s in products}

    stats = Stats()
    stop = threading.Event()
    # A login runs scrypt with 128 MiB, released right after: memory is sampled between logins.
    login_cv = threading.Condition()
    login_state = {"next": time.monotonic(), "running": 0, "sampling": False}

    def worker(index):
        rnd = random.Random(args.seed * 1000 + index)
        api = Api(port)
        mine = customers[index * 2: index * 2 + 2]
        pending = []  # (order id, customer)
        actions = ["browse"] * 30 + ["search"] * 15 + ["product"] * 20 + ["checkout"] * 12 + \
                  ["cancel"] * 6 + ["refund"] * 6 + ["notifications"] * 5 + ["me"] * 4 + ["login"] * 2

        def call(action, method, path, body=None, token=None):
            try:
                status, parsed, elapsed = api.call(method, path, body, token)
            except Exception as e:  # transport failure
                stats.failure(action, repr(e))
                return 0, None
            stats.record(action, status, elapsed)
            return status, parsed

        while not stop.is_set():
            action = rnd.choice(actions)
            c = rnd.choice(mine)
            if action == "browse":
                sort = rnd.choice(["newest", "price", "-price", "rating"])
                status, body = call(action, "GET", f"/api/v1/products?limit=20&sort={sort}")
                if status == 200 and body.get("nextCursor"):
                    call(action, "GET", f"/api/v1/products?limit=20&sort={sort}&cursor={body['nextCursor']}")
            elif action == "search":
                call(action, "GET", f"/api/v1/products?q={rnd.choice(WORDS)}%20{rnd.choice(WORDS)[:3]}&limit=10")
            elif action == "product":
                pid = rnd.choice(products)[0]
                call(action, "GET", f"/api/v1/products/{pid}")
                call(action, "GET", f"/api/v1/products/{pid}/reviews")
            elif action in ("checkout", "cancel", "refund"):
                pid = rnd.choice(products)[0]
                call(action, "PUT", f"/api/v1/cart/items/{pid}", {"quantity": rnd.randint(1, 3)}, c["token"])
                status, order = call(action, "POST", "/api/v1/orders", {"coinsToUse": rnd.randint(0, 5)}, c["token"])
                if status != 201:
                    continue
                oid = order["id"]
                if action == "checkout":
                    call(action, "POST", f"/api/v1/orders/{oid}/checkout", {}, c["token"])
                    pending.append((oid, c))
                elif action == "cancel":
                    call(action, "POST", f"/api/v1/orders/{oid}/cancel", {}, c["token"])
                else:
                    seller = seller_of[pid]
                    status, _ = call(action, "POST", f"/api/v1/seller/orders/{oid}/mark-paid", {}, seller["token"])
                    if status != 200:
                        continue
                    item = order["items"][0]["id"]
                    status, rr = call(action, "POST", f"/api/v1/orders/{oid}/refund-requests",
                                      {"orderItemId": item, "quantity": 1, "reason": "soak"}, c["token"])
                    if status == 201:
                        call(action, "POST", f"/api/v1/seller/refund-requests/{rr['id']}/approve",
                             {"note": "ok", "restock": True}, seller["token"])
                # Unpaid orders from checkouts are cancelled later, so stock and rows cycle.
                if len(pending) > 20:
                    old, oc = pending.pop(0)
                    call("cancel", "POST", f"/api/v1/orders/{old}/cancel", {}, oc["token"])
            elif action == "notifications":
                s = rnd.choice(sellers)
                status, body = call(action, "GET", "/api/v1/notifications?limit=20", token=s["token"])
                call(action, "POST", "/api/v1/notifications/read-all", {}, s["token"])
            elif action == "me":
                call(action, "GET", "/api/v1/me", token=c["token"])
                call(action, "GET", "/api/v1/me/coins", token=c["token"])
            elif action == "login":
                with login_cv:
                    now = time.monotonic()
                    if now < login_state["next"] or login_state["sampling"]:
                        continue
                    login_state["next"] = now + args.login_every
                    login_state["running"] += 1
                try:
                    status, body = call(action, "POST", "/api/v1/auth/login",
                                        {"email": c["email"], "password": PASSWORD})
                finally:
                    with login_cv:
                        login_state["running"] -= 1
                        login_cv.notify_all()
                if status == 200:
                    c["token"] = body["accessToken"]
                    call(action, "POST", "/api/v1/auth/logout", {"refreshToken": body["refreshToken"]}, c["token"])

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.threads)]
    start = time.monotonic()
    for t in threads:
        t.start()
    samples = []
    print(f"soak: {args.seconds:.0f} s, {args.threads} clients, {args.workers} workers, "
          f"{'PostgreSQL' if args.database else 'SQLite'}, sample every {args.sample:.0f} s", flush=True)
    print(f"{'t (s)':>6} {'RSS (KiB)':>10} {'fds':>5} {'requests':>9} {'p50 (ms)':>9} {'p99 (ms)':>9} {'errors':>7}", flush=True)
    while time.monotonic() - start < args.seconds:
        time.sleep(args.sample)
        if server.poll() is not None:
            stats.failure("server", f"exited with {server.returncode}")
            break
        w = stats.take_window()
        with login_cv:
            login_state["sampling"] = True
            login_cv.wait_for(lambda: login_state["running"] == 0, timeout=30)
            time.sleep(0.05)  # the answer is read before the hash's memory is freed
            rss = proc_rss_kib(server.pid)
            login_state["sampling"] = False
        row = {"t": round(time.monotonic() - start, 1), "rss_kib": rss,
               "fds": proc_fds(server.pid), "requests": len(w),
               "p50_ms": round(percentile(w, 50) * 1000, 1), "p99_ms": round(percentile(w, 99) * 1000, 1),
               "errors": len(stats.errors)}
        samples.append(row)
        print(f"{row['t']:>6} {row['rss_kib']:>10} {row['fds']:>5} {row['requests']:>9} "
              f"{row['p50_ms']:>9} {row['p99_ms']:>9} {row['errors']:>7}", flush=True)
    stop.set()
    for t in threads:
        t.join(60)

    if args.csv:
        with open(args.csv, "w", newline="") as f:
            wr = csv.DictWriter(f, fieldnames=list(samples[0].keys()) if samples else ["t"])
            wr.writeheader()
            wr.writerows(samples)

    failures = []
    if stats.errors:
        failures.append(f"{len(stats.errors)} failed requests, first: {stats.errors[:5]}")
    if not args.leaks_only:
        failures += judge(samples, args.rss_growth, args.rss_slack_mib)
    print(f"requests: {stats.total} ({', '.join(f'{k} {v}' for k, v in sorted(stats.by_action.items()))})")
    if failures:
        print("SOAK FAILED: " + "; ".join(failures))
        return 1
    print("soak: no failed request" + ("" if args.leaks_only else ", nothing grew"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
