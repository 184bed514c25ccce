"""Anchors of the audit chain: now and then (the worker's ``anchor_audit`` task) the head's
sequence number and hash are timestamped by a TSA (RFC 3161) and appended to a file
outside the database (``AUDIT_ANCHOR_DIR``, one JSON line each, a file per month).

The key (service.py) stops anyone without it from editing events or recomputing the
chain; it cannot stop them deleting the newest events and moving the head back, since
what remains is a valid chain. An anchor can: it says "at <TSA time> the chain reached
event N with hash H", and ``verify`` finds event N changed or gone. Only the events
after the latest anchor are unprotected against deletion (at most the anchoring
interval). The TSA's signature makes anchors impossible to forge or backdate too.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import hashlib
import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import select

from backend.core.db import session
from backend.core.timeutil import utcnow

from .models import AuditEvent, AuditHead

if TYPE_CHECKING:
    from .service import VerifyResult

log = logging.getLogger("trinhky.audit")
STATEMENT = "trinhky-audit-anchor/1:{seq}:{hash}"


def _directory(anchor_dir: str | None = None) -> Path:
    return Path(anchor_dir or current_app.extensions["settings"].audit_anchor_dir)


def statement(seq: int, chain_hash: str) -> bytes:
    """What the TSA timestamps (its SHA-256, as the message imprint)."""
    return STATEMENT.format(seq=seq, hash=chain_hash).encode()


def _files(directory: Path) -> list[Path]:
    return sorted(directory.glob("anchors-*.jsonl"))


def read(anchor_dir: str | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Every anchor, oldest first, and the lines that are not anchors (damaged files)."""
    anchors: list[dict[str, Any]] = []
    damaged: list[str] = []
    directory = _directory(anchor_dir)
    for path in _files(directory):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            try:
                entry = json.loads(line)
                int(entry["seq"]), str(entry["hash"]), str(entry["anchored_at"])
            except (ValueError, KeyError, TypeError):
                damaged.append(f"{path.name}:{number}")
                continue
            anchors.append(entry)
    return anchors, damaged


def _last(directory: Path) -> dict[str, Any] | None:
    for path in reversed(_files(directory)):
        lines = path.read_text().splitlines()
        if lines:
            try:
                return json.loads(lines[-1])
            except ValueError:
                return None
    return None


def _timestamp(tsa_url: str, digest: bytes) -> bytes:
    from signing import pades

    token = asyncio.run(pades.timestamper(tsa_url).async_timestamp(digest, "sha256"))
    return token.dump()


def anchor_head(tsa_url: str) -> dict[str, Any] | None:
    """Anchor the chain's head now (unless it has not moved since the last anchor).
    Without a TSA (none configured, or it does not answer) the anchor is written
    untimestamped, with the reason: it still reveals deleted events."""
    from .service import ensure_keyed

    ensure_keyed()  # a chain from before the key is marked before it is anchored
    head = session().get(AuditHead, 1)
    seq, chain_hash = (head.seq, head.hash) if head is not None else (0, "")
    session().rollback()  # no transaction held open during the TSA request
    if seq == 0:
        return None
    directory = _directory()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    last = _last(directory)
    if last and last["seq"] == seq and last["hash"] == chain_hash:
        return None
    entry: dict[str, Any] = {"seq": seq, "hash": chain_hash, "tsa": tsa_url or None}
    digest = hashlib.sha256(statement(seq, chain_hash)).digest()
    if tsa_url:
        try:
            entry["tst"] = base64.b64encode(_timestamp(tsa_url, digest)).decode()
        except Exception as exc:  # noqa: BLE001 - the TSA's failure is recorded, not fatal
            log.warning("audit anchor without timestamp: %s", exc)
            entry["error"] = f"{type(exc).__name__}: {exc}"[:300]
    else:
        entry["error"] = "no TSA configured"
    entry["anchored_at"] = utcnow().isoformat(timespec="seconds")
    path = directory / f"anchors-{utcnow():%Y-%m}.jsonl"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # another worker anchoring at the same moment
        last = _last(directory)
        if last and last["seq"] == seq and last["hash"] == chain_hash:
            return None
        fh.write(json.dumps(entry, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return entry


def _check_timestamp(
    entry: dict[str, Any], trust_roots: list | None
) -> tuple[datetime | None, str]:
    """(the TSA's time, "") when the token is intact, covers this anchor and — given trust
    roots — comes from a trusted TSA; else (None, why not)."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    try:
        token = cms.ContentInfo.load(base64.b64decode(entry["tst"]))
        signed = token["content"]
        gen_time = signed["encap_content_info"]["content"].parsed["gen_time"].native
        expected = statement(int(entry["seq"]), entry["hash"])
        context = ValidationContext(
            trust_roots=list(trust_roots or []), allow_fetching=False, moment=gen_time
        )
        status = asyncio.run(
            validate_tst_signed_data(
                signed, context, lambda algorithm: hashlib.new(algorithm, expected).digest()
            )
        )
    except Exception as exc:  # noqa: BLE001 - any failure: the token does not hold
        return None, f"unreadable ({type(exc).__name__})"
    if not status["intact"] or not status["valid"]:
        return None, "does not cover this anchor"
    if trust_roots and status.get("trust_problem_indic") is not None:
        return None, "is not from a trusted TSA"
    return gen_time, ""


def check(
    result: VerifyResult,
    last_seq: int,
    *,
    anchor_dir: str | None = None,
    trust_roots: list | None = None,
) -> None:
    """Hold the chain against every anchor; add what disagrees to ``result``."""
    entries, damaged = read(anchor_dir)
    for where in damaged:
        result.add(0, 0, f"anchor file damaged at {where}")
    if not entries:
        result.notes.append(f"no anchors in {_directory(anchor_dir)}")
        return
    seqs = sorted({int(e["seq"]) for e in entries if int(e["seq"]) <= last_seq})
    stored: dict[int, str] = {}
    for i in range(0, len(seqs), 500):
        rows = session().execute(
            select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_(seqs[i : i + 500]))
        )
        stored.update((seq, chain_hash) for seq, chain_hash in rows)
    untimestamped = 0
    for entry in entries:
        seq, when = int(entry["seq"]), entry["anchored_at"]
        result.anchors += 1
        if entry.get("tst"):
            stamped_at, problem = _check_timestamp(entry, trust_roots)
            if problem:
                result.add(0, 0, f"the timestamp of the anchor of {when} {problem}")
            else:
                result.timestamped += 1
                when = f"{stamped_at:%Y-%m-%d %H:%M:%S} UTC (TSA)"
        else:
            untimestamped += 1
        if seq <= last_seq:
            if seq not in stored:
                result.add(seq, seq, f"missing; the anchor of {when} holds it")
            elif stored[seq] != entry["hash"]:
                result.add(seq, seq, f"differs from the anchor of {when}")
    beyond = [e for e in entries if int(e["seq"]) > last_seq]
    if beyond:
        top = max(beyond, key=lambda e: int(e["seq"]))
        result.add(
            last_seq + 1,
            int(top["seq"]),
            f"deleted from the end: the anchor of {top['anchored_at']} saw the chain reach "
            f"event {top['seq']}",
        )
    if untimestamped:
        result.notes.append(f"{untimestamped} anchors without a TSA timestamp")
    if not trust_roots and result.timestamped:
        result.notes.append("no trust roots given: timestamps checked for integrity only")
