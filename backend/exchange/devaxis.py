"""The development axis: a small stand-in for the national axis (VXP) that `make run`
starts beside web and worker (Procfile ``axis``) and that the tests talk to over HTTP.

It implements ``sendEdoc``, ``getReceivedEdocList``, ``getEdoc``, ``updateStatus`` and
``getSentEdocList`` with the real authentication (signed ``XroadVnpt-`` headers, HMAC
under each system's secret, timestamps within five minutes, the package's SHA-256) and
JSON replies. It stores and forwards: it routes by the ``to`` header and never needs to
read a package, so it carries bad packages to the receiver as the real axis would.

Systems are configured as ``{"systems": {"<systemid>": {"secret": …, "codes": [...],
"auto_answer": false}}}``. A system with ``auto_answer`` is a demo agency: every document
sent to one of its codes is answered at once with status 01 (arrived) and 03
(registered), or 02 with the reason when its package cannot be read.

    python -m backend.exchange.devaxis   # serves var/devaxis.json on DEV_AXIS_PORT (8020)
"""

from __future__ import annotations

import base64
import json
import logging
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from flask import Flask, Response, request

from backend.core.timeutil import to_vn

from . import edxml
from .transport import SignatureRefused, file_hash, verify_headers

log = logging.getLogger("trinhky.devaxis")

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    doc_id TEXT PRIMARY KEY,
    message_type TEXT NOT NULL,
    from_code TEXT NOT NULL,
    to_code TEXT NOT NULL,
    sender_system TEXT NOT NULL,
    body BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'initial',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_messages_to ON messages (to_code, message_type, status);
"""
OPERATIONS_REQUIRED = {
    "sendEdoc": ["servicetype", "messagetype", "from", "to", "hash-file"],
    "getReceivedEdocList": ["messagetype"],
    "getEdoc": ["docId"],
    "updateStatus": ["docId", "status"],
    "getSentEdocList": [],
}
ACK_STATUSES = {"processing", "done", "fail"}


def _reply(status: int = 200, **body: Any) -> Response:
    payload = {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", **body}
    return Response(json.dumps(payload, ensure_ascii=False), status, mimetype="application/json")


def _fail(status: int, code: str, desc: str) -> Response:
    payload = {"status": "FAIL", "ErrorCode": code, "ErrorDesc": desc, "data": []}
    return Response(json.dumps(payload, ensure_ascii=False), status, mimetype="application/json")


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S")


class Axis:
    """The store behind the HTTP service (one SQLite file, serialised by a lock)."""

    def __init__(self, db_path: str | Path, config: Mapping[str, Any] | Callable[[], Any]) -> None:
        self.db = sqlite3.connect(str(db_path), check_same_thread=False, isolation_level=None)
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()
        self._config = config
        # test hooks: seconds to wait before answering an operation (to kill a client
        # in the middle of a poll), and a counter of calls per operation
        self.delays: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    @property
    def systems(self) -> dict[str, dict[str, Any]]:
        config = self._config() if callable(self._config) else self._config
        return dict(config.get("systems", {}))

    def secrets(self) -> dict[str, str]:
        return {name: s["secret"] for name, s in self.systems.items() if s.get("secret")}

    def codes_of(self, system: str) -> set[str]:
        return {c.upper() for c in self.systems.get(system, {}).get("codes", [])}

    def system_of_code(self, code: str) -> str | None:
        for name, s in self.systems.items():
            if code.upper() in {c.upper() for c in s.get("codes", [])}:
                return name
        return None

    def store(
        self, message_type: str, from_code: str, to_code: str, sender: str, body: bytes
    ) -> str:
        doc_id = str(uuid.uuid4())
        now = time.time()
        with self.lock:
            self.db.execute(
                "INSERT INTO messages (doc_id, message_type, from_code, to_code, sender_system,"
                " body, status, created, updated) VALUES (?, ?, ?, ?, ?, ?, 'initial', ?, ?)",
                (doc_id, message_type, from_code, to_code, sender, body, now, now),
            )
        return doc_id

    def waiting_for(self, system: str, message_type: str) -> list[tuple]:
        codes = sorted(self.codes_of(system))
        if not codes:
            return []
        marks = ",".join("?" for _ in codes)
        with self.lock:
            return list(
                self.db.execute(
                    "SELECT doc_id, from_code, to_code, message_type, status, created, updated"  # noqa: S608 - only placeholders
                    f" FROM messages WHERE to_code IN ({marks}) AND message_type = ?"
                    " AND status IN ('initial', 'processing') ORDER BY created",
                    (*codes, message_type),
                )
            )

    def message(self, doc_id: str) -> tuple | None:
        with self.lock:
            return self.db.execute(
                "SELECT doc_id, to_code, body, status, from_code FROM messages WHERE doc_id = ?",
                (doc_id,),
            ).fetchone()

    def set_status(self, doc_id: str, status: str) -> None:
        with self.lock:
            self.db.execute(
                "UPDATE messages SET status = ?, updated = ? WHERE doc_id = ?",
                (status, time.time(), doc_id),
            )

    def sent_by(self, system: str) -> list[tuple]:
        with self.lock:
            return list(
                self.db.execute(
                    "SELECT doc_id, from_code, to_code, message_type, status, created, updated"
                    " FROM messages WHERE sender_system = ? ORDER BY created",
                    (system,),
                )
            )

    def count(self, status: str | None = None) -> int:
        with self.lock:
            if status is None:
                return self.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
            return self.db.execute(
                "SELECT COUNT(*) FROM messages WHERE status = ?", (status,)
            ).fetchone()[0]

    # -- the demo agencies ------------------------------------------------------------------

    def auto_answer(self, to_code: str, from_code: str, body: bytes) -> None:
        """A demo agency answers a document at once: 01 then 03, or 02 with the reason."""
        system = self.system_of_code(to_code)
        if not system or not self.systems[system].get("auto_answer"):
            return
        sender = edxml.Organ(organ_id=to_code, organ_name=to_code, organization_in_charge=to_code)
        now = to_vn(datetime.now(UTC)).replace(tzinfo=None)
        try:
            package = edxml.parse(body)
        except edxml.PackageError as exc:
            if not exc.document_id:
                return
            answers = [("02", f"Từ chối: {exc.reason_vi}")]
            response_for = edxml.ResponseFor(organ_id=from_code, document_id=exc.document_id)
        else:
            if not isinstance(package, edxml.Edoc):
                return
            answers = [
                ("01", "Đã đến - phần mềm đã nhận"),
                ("03", "Văn thư đã tiếp nhận, vào sổ văn bản đến"),
            ]
            response_for = edxml.ResponseFor(
                organ_id=from_code,
                code=package.number_symbol,
                promulgation_date=package.promulgation_date,
                document_id=package.document_id,
            )
        for code, description in answers:
            status = edxml.build_status(
                edxml.Status(
                    sender=sender,
                    response_for=response_for,
                    code=code,
                    description=description,
                    timestamp=now,
                )
            )
            self.store("status", to_code, from_code, system, status)


def create_axis_app(axis: Axis) -> Flask:
    app = Flask("trinhky-devaxis")

    def authenticate(operation: str) -> dict[str, str] | Response:
        axis.calls[operation] = axis.calls.get(operation, 0) + 1
        try:
            return verify_headers(request.headers, axis.secrets(), OPERATIONS_REQUIRED[operation])
        except SignatureRefused as exc:
            return _fail(401, "401", f"authentication failed: {exc}")

    def pause(operation: str) -> None:
        delay = axis.delays.get(operation)
        if delay:
            time.sleep(delay)

    @app.get("/healthz")
    def healthz() -> Response:
        return _reply(messages=axis.count())

    @app.post("/sendEdoc")
    def send_edoc() -> Response:
        params = authenticate("sendEdoc")
        if isinstance(params, Response):
            return params
        body = request.get_data(cache=False)
        if file_hash(body) != params["hash-file"]:
            return _fail(400, "400", "hash-file does not match the body")
        system = params["systemid"]
        if params["from"].upper() not in axis.codes_of(system):
            return _fail(403, "403", f"system {system} does not send for {params['from']}")
        try:
            to_codes = [str(c).upper() for c in json.loads(params["to"])]
        except (ValueError, TypeError):
            return _fail(400, "400", "to must be a JSON list of organisation codes")
        unknown = [c for c in to_codes if axis.system_of_code(c) is None]
        if not to_codes or unknown:
            return _fail(404, "404", f"unknown recipients: {', '.join(unknown) or 'none'}")
        message_type = "status" if params["messagetype"] == "status" else "edoc"
        ids = [
            axis.store(message_type, params["from"].upper(), code, system, body)
            for code in to_codes
        ]
        if message_type == "edoc":
            for code in to_codes:
                axis.auto_answer(code, params["from"].upper(), body)
        pause("sendEdoc")
        return _reply(
            DocId=ids[0], data=[{"docId": i, "to": c} for i, c in zip(ids, to_codes, strict=True)]
        )

    @app.post("/getReceivedEdocList")
    def received() -> Response:
        params = authenticate("getReceivedEdocList")
        if isinstance(params, Response):
            return params
        message_type = "status" if params["messagetype"] == "status" else "edoc"
        rows = axis.waiting_for(params["systemid"], message_type)
        pause("getReceivedEdocList")
        return _reply(
            data=[
                {
                    "docId": r[0],
                    "from": r[1],
                    "to": r[2],
                    "serviceType": "eDoc" if r[3] == "edoc" else "status",
                    "messageType": r[3],
                    "status": r[4],
                    "status_desc": r[4],
                    "created_time": _stamp(r[5]),
                    "updated_time": _stamp(r[6]),
                }
                for r in rows
            ]
        )

    @app.post("/getEdoc")
    def get_edoc() -> Response:
        params = authenticate("getEdoc")
        if isinstance(params, Response):
            return params
        row = axis.message(params["docId"])
        if row is None or row[1] not in axis.codes_of(params["systemid"]):
            return _fail(404, "404", "no such message for this system")
        pause("getEdoc")
        return _reply(data=base64.b64encode(row[2]).decode())

    @app.post("/updateStatus")
    def update_status() -> Response:
        params = authenticate("updateStatus")
        if isinstance(params, Response):
            return params
        row = axis.message(params["docId"])
        if row is None or row[1] not in axis.codes_of(params["systemid"]):
            return _fail(404, "404", "no such message for this system")
        if params["status"] not in ACK_STATUSES:
            return _fail(400, "400", f"status must be one of {sorted(ACK_STATUSES)}")
        pause("updateStatus")
        axis.set_status(params["docId"], params["status"])
        return _reply()

    @app.post("/getSentEdocList")
    def sent() -> Response:
        params = authenticate("getSentEdocList")
        if isinstance(params, Response):
            return params
        return _reply(
            data=[
                {
                    "senderDocId": r[0],
                    "fromCode": r[1],
                    "toCode": r[2],
                    "messageType": r[3],
                    "receiveStatus": r[4],
                    "sentTime": _stamp(r[5]),
                    "receivedTime": _stamp(r[6]) if r[4] == "done" else "",
                }
                for r in axis.sent_by(params["systemid"])
            ]
        )

    return app


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class _ThreadingServer(WSGIServer):
    daemon_threads = True

    def process_request(self, req: Any, client_address: Any) -> None:
        threading.Thread(target=self._handle, args=(req, client_address), daemon=True).start()

    def _handle(self, req: Any, client_address: Any) -> None:
        try:
            self.finish_request(req, client_address)
        finally:
            self.shutdown_request(req)


def serve(axis: Axis, host: str = "127.0.0.1", port: int = 0) -> tuple[str, WSGIServer]:
    """Serve in a background thread: (base URL, server — ``.shutdown()`` to stop)."""
    server = make_server(
        host, port, create_axis_app(axis), server_class=_ThreadingServer, handler_class=_Quiet
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://{host}:{server.server_port}", server


def _file_config(path: Path) -> Callable[[], dict[str, Any]]:
    """The systems file, re-read when it changes (`make run` seeds it)."""
    cache: dict[str, Any] = {"mtime": None, "config": {}}

    def load() -> dict[str, Any]:
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if mtime != cache["mtime"]:
            cache["config"] = json.loads(path.read_text())
            cache["mtime"] = mtime
        return cache["config"]

    return load


def main() -> None:
    from backend.config import Settings

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings.from_env()
    if not settings.dev_axis:
        # honcho stops every process when one exits: stay, idle, in production
        log.info("development axis: off (DEV_AXIS=0 or production)")
        signal.pause()
        return
    var = Path(settings.var_dir)
    axis = Axis(var / "devaxis.db", _file_config(var / "devaxis.json"))
    server = make_server(
        "127.0.0.1",
        settings.dev_axis_port,
        create_axis_app(axis),
        server_class=_ThreadingServer,
        handler_class=_Quiet,
    )
    log.info("development axis (VXP) on http://127.0.0.1:%s", settings.dev_axis_port)
    server.serve_forever()


if __name__ == "__main__":
    main()
