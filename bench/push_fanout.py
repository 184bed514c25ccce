"""Push fan-out: deliver 10,000 notifications to a local push service (a separate process
that decrypts every message and checks its VAPID token), through the product's delivery
path in one worker process; beside a plain sequential pywebpush loop (the baseline) and
the encryption-only CPU cost (the floor), measured in the same run.

    .venv/bin/python bench/push_fanout.py [--notifications 10000] [--baseline 1000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def serve_push(port_queue: multiprocessing.Queue, browsers: list[dict]) -> None:
    """The push service, in its own process so it does not share the sender's CPU."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.notifications.push_service import Browser, PushService, start

    service = PushService(defer_decrypt=True)
    server = start(service)
    for b in browsers:
        key = ec.derive_private_key(b["private"], ec.SECP256R1())
        service.browsers[b["token"]] = Browser(
            b["token"], key, bytes.fromhex(b["auth"]), f"{service.origin}/push/{b['token']}"
        )

    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Stats(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            undecryptable = service.decrypt_deferred()
            ids = [r.payload.get("id") for r in service.received if r.payload.get("id")]
            body = json.dumps(
                {
                    "received": len(service.received) + undecryptable,
                    "distinct": len(set(ids)),
                    "undecryptable": undecryptable,
                    "rejected": len(service.rejected),
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    stats = ThreadingHTTPServer(("127.0.0.1", 0), Stats)
    port_queue.put((service.port, stats.server_address[1]))
    stats.serve_forever()
    server.shutdown()


def stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:  # noqa: S310
        return json.loads(response.read())


def make_browsers(count: int) -> list[dict]:
    from cryptography.hazmat.primitives.asymmetric import ec

    out = []
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        out.append(
            {
                "token": f"b{i}",
                "private": key.private_numbers().private_value,
                "auth": os.urandom(16).hex(),
            }
        )
    return out


def subscription_of(browser: dict, push_port: int) -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.notifications.push_service import b64url

    key = ec.derive_private_key(browser["private"], ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {
        "endpoint": f"http://127.0.0.1:{push_port}/push/{browser['token']}",
        "keys": {"p256dh": b64url(public), "auth": b64url(bytes.fromhex(browser["auth"]))},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notifications", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument(
        "--baseline", type=int, default=1000, help="messages in the sequential loop"
    )
    parser.add_argument("--batch", type=int, default=500, help="notifications per delivery task")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    browsers = make_browsers(args.users)
    ports: multiprocessing.Queue = multiprocessing.Queue()
    push_proc = multiprocessing.Process(target=serve_push, args=(ports, browsers), daemon=True)
    push_proc.start()
    push_port, stats_port = ports.get(timeout=30)

    var = tempfile.mkdtemp(prefix="trinhky-bench-push-")
    os.environ.update(
        {"VAR_DIR": var, "SECRET_KEY": "bench-secret-key-not-used-anywhere-else-0123456789"}
    )
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    from sqlalchemy import insert, select

    from backend.app import create_app
    from backend.auth.models import Device
    from backend.core.db import atomic, session
    from backend.migrate import upgrade
    from backend.notifications import service
    from backend.notifications.models import Notification, PushSubscription
    from backend.org.models import User

    app = create_app()
    upgrade(app.extensions["settings"].database_url)
    subs = [subscription_of(b, push_port) for b in browsers]
    with app.app_context():
        with atomic() as s:
            s.execute(
                insert(User),
                [
                    {
                        "id": i + 1,
                        "username": f"u{i}",
                        "full_name": f"Người dùng {i}",
                        "password_hash": "x",
                    }
                    for i in range(args.users)
                ],
            )
            s.execute(
                insert(Device),
                [{"id": i + 1, "user_id": i + 1, "name": "phone"} for i in range(args.users)],
            )
            s.execute(
                insert(PushSubscription),
                [
                    {
                        "user_id": i + 1,
                        "device_id": i + 1,
                        "endpoint": sub["endpoint"],
                        "p256dh": sub["keys"]["p256dh"],
                        "auth": sub["keys"]["auth"],
                    }
                    for i, sub in enumerate(subs)
                ],
            )
            now = datetime.now(UTC)
            s.execute(
                insert(Notification),
                [
                    {
                        "user_id": 1 + n % args.users,
                        "kind": "step.sign",
                        "title": f"Ký: Về việc triển khai nhiệm vụ số {n}",
                        "body": "",
                        "urgent": False,
                        "urgency": "normal",
                        "push_state": "pending",
                        "created_at": now,
                    }
                    for n in range(args.notifications)
                ],
            )
        ids = list(session().scalars(select(Notification.id).order_by(Notification.id)))
        session().rollback()
        service.vapid_public_key()  # load keys before timing

        import pywebpush
        from pywebpush import WebPusher

        sender = app.extensions["push_sender"]
        vapid_pem = str(Path(var) / "vapid_private.pem")  # pywebpush reads the key file
        payload = json.dumps(
            {"title": "Ký: Về việc triển khai", "document_id": 1}, ensure_ascii=False
        )
        product_rates, baseline_rates, floor_rates = [], [], []
        per_round = len(ids) // args.rounds
        # Rounds interleave the three measurements, so a noisy moment hits all of them.
        for r in range(args.rounds):
            # 1. the product path: delivery tasks of `batch` notifications, one worker process
            chunk = ids[r * per_round : (r + 1) * per_round if r < args.rounds - 1 else len(ids)]
            started = time.perf_counter()
            for i in range(0, len(chunk), args.batch):
                service.deliver(chunk[i : i + args.batch])
            product_rates.append(len(chunk) / (time.perf_counter() - started))

            # 2. the baseline: a plain sequential pywebpush loop, same push service
            count = args.baseline // args.rounds
            started = time.perf_counter()
            for n in range(count):
                pywebpush.webpush(
                    subs[n % len(subs)],
                    payload,
                    vapid_private_key=vapid_pem,
                    vapid_claims={"sub": "mailto:quantri@trinhky.local"},
                    content_encoding="aes128gcm",
                    ttl=3600,
                )
            baseline_rates.append(count / (time.perf_counter() - started))

            # 3. the floor: encryption + VAPID signature only, no network
            started = time.perf_counter()
            for n in range(count):
                WebPusher(subs[n % len(subs)]).encode(payload.encode(), "aes128gcm")
                sender.vapid.sign(
                    {
                        "sub": "mailto:a@b.vn",
                        "aud": f"http://127.0.0.1:{push_port}",
                        "exp": int(time.time()) + 3600,
                    }
                )
            floor_rates.append(count / (time.perf_counter() - started))
        received = stats(stats_port)

    total = stats(stats_port)
    product_rate = statistics.median(product_rates)
    baseline_rate = statistics.median(baseline_rates)
    floor_rate = statistics.median(floor_rates)
    lost = args.notifications - received["distinct"]
    print(
        f"\n{args.notifications:,} notifications to {args.users} subscriptions; push service in "
        f"its own process decrypting every message; median of {args.rounds} interleaved "
        f"rounds; {app.extensions['settings'].push_concurrency} delivery threads\n"
    )
    print(f"{'path':<58} {'msg/s':>8} {'vs baseline':>12}")
    print(
        f"{'product: worker delivery (pooled, concurrent)':<58} {product_rate:>8.0f} "
        f"{product_rate / baseline_rate:>11.1f}x"
    )
    print(
        f"{'baseline: sequential pywebpush.webpush() loop':<58} {baseline_rate:>8.0f} {1:>11.1f}x"
    )
    print(
        f"{'floor: encryption + VAPID signing only (CPU, no network)':<58} {floor_rate:>8.0f} "
        f"{floor_rate / baseline_rate:>11.1f}x"
    )
    print(
        f"\nproduct path: received {received['received']:,} ({received['distinct']:,} distinct "
        f"notification ids), lost {lost}, undecryptable {total['undecryptable']}, rejected by "
        f"the push service {total['rejected']}; delivery tasks of {args.batch} notifications"
    )
    push_proc.terminate()


if __name__ == "__main__":
    main()
