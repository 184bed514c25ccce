"""Commands: ``flask db-upgrade``, ``db-downgrade``, ``seed-demo``, ``demo-accounts``,
``audit verify``, ``audit anchor``, ``reindex-search``,
``exchange import-directory|dev-axis|poll``."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

# The demo agency's shared password: printed by `make run`, refused in production.
DEMO_PASSWORD_DEFAULT = "TrinhKy@2026"  # noqa: S105


def _demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", DEMO_PASSWORD_DEFAULT)


def init_app(app: Flask) -> None:
    @app.cli.command("db-upgrade")
    @click.option("--revision", default="head")
    def db_upgrade(revision: str) -> None:
        """Apply migrations, then make sure the reference data is there."""
        from backend.audit.service import ensure_keyed
        from backend.migrate import upgrade
        from backend.org.seed import seed_reference_data

        settings = current_app.extensions["settings"]
        upgrade(settings.database_url, revision)
        added = seed_reference_data()
        click.echo(f"database at head; {added} document types added")
        if ensure_keyed():
            click.echo("audit chain keyed from now on (epoch marker appended)")

    @app.cli.command("db-downgrade")
    @click.option("--revision", default="-1")
    def db_downgrade(revision: str) -> None:
        from backend.migrate import downgrade

        downgrade(current_app.extensions["settings"].database_url, revision)

    @app.cli.command("db-revision")
    @click.option("-m", "--message", required=True)
    @click.option("--rev-id", required=True, help="e.g. 0002")
    def db_revision(message: str, rev_id: str) -> None:
        """Autogenerate a migration from the models (run on a scratch database at head)."""
        from backend.migrate import revision

        revision(current_app.extensions["settings"].database_url, message, rev_id)

    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Create the demo agency (idempotent). Refused in production."""
        from backend.org.seed import seed_demo as run

        if current_app.extensions["settings"].is_production:
            raise click.ClickException("seed-demo is for development only")
        users = run(_demo_password())
        from backend.exchange.seed import seed_exchange_demo

        departments = seed_exchange_demo(_demo_password())
        click.echo(f"demo agency ready ({len(users) + len(departments)} accounts)")

    @app.cli.command("dev-pki")
    def dev_pki() -> None:
        """Create the development PKI (var/pki) and register the demo signing keys."""
        from backend.signatures.devpki import DEMO_SIGNING_PIN, ensure_dev_pki

        if current_app.extensions["settings"].is_production:
            raise click.ClickException("dev-pki is for development only")
        added = ensure_dev_pki()
        click.echo(f"development PKI ready ({added} keys registered; PIN ký số {DEMO_SIGNING_PIN})")
        from backend.demo import seed_demo_documents

        created = seed_demo_documents()
        if created:
            click.echo(f"{created} demo decisions on their way to the vice-chairman's signature")
        from backend.demo import seed_word_drafts

        if drafts := seed_word_drafts():
            click.echo(f"{drafts} Word drafts (.docx) for chuyenvien.kt, converted by the worker")

    @app.cli.command("demo-accounts")
    def demo_accounts() -> None:
        """Print the demo accounts."""
        from backend.org.seed import DEMO_ORG, DEMO_USERS

        click.echo(f"\n{DEMO_ORG[1]} ({DEMO_ORG[0]}) — mật khẩu / password: {_demo_password()}")
        for u in DEMO_USERS:
            click.echo(f"  {u.username:<16} {u.full_name:<22} {u.position_title} ({u.role})")
        from backend.exchange.seed import DEPARTMENTS
        from backend.signatures.devpki import DEMO_SIGNING_PIN

        for dept in DEPARTMENTS:
            click.echo(f"{dept.name} ({dept.code}) — liên thông trong hệ thống")
            for username, full_name, role, title, _unit in dept.people:
                click.echo(f"  {username:<16} {full_name:<22} {title} ({role})")
        click.echo(
            f"Mã PIN ký số của lãnh đạo / signing PIN of leaders and heads: {DEMO_SIGNING_PIN}"
        )
        click.echo("")

    @app.cli.command("reindex-search")
    def reindex_search() -> None:
        """Rebuild the search index of every document (after upgrading to search, or to
        repair it); PDFs stored before search existed have their text extracted now."""
        from backend.search.index import reindex_all

        count = reindex_all()
        click.echo(f"search index rebuilt: {count} documents")

    audit = AppGroup("audit", help="The audit chain.")

    @audit.command("verify")
    @click.option("--anchors", "anchor_dir", default=None, help="default: AUDIT_ANCHOR_DIR")
    def audit_verify(anchor_dir: str | None) -> None:
        """Walk the chain and hold it against its anchors; report every break. Exit 1 if
        any."""
        from backend.audit.service import verify
        from backend.signatures.runtime import trust_roots

        result = verify(anchor_dir=anchor_dir, trust_roots=trust_roots())
        for note in result.notes:
            click.echo(f"note: {note}")
        anchors = f"{result.anchors} anchors ({result.timestamped} with a valid TSA timestamp)"
        if result.ok:
            click.echo(f"audit chain intact: {result.checked} events, {anchors}")
            return
        click.echo(
            f"audit chain BROKEN: {len(result.breaks)} breaks in {result.checked} events, "
            f"{anchors}",
            err=True,
        )
        for problem in result.breaks:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)

    @audit.command("anchor")
    def audit_anchor() -> None:
        """Anchor the chain's head now (the worker does it every five minutes)."""
        from backend.audit.anchors import anchor_head
        from backend.signatures.runtime import tsa_url

        entry = anchor_head(tsa_url())
        if entry is None:
            click.echo("nothing to anchor: the head has not moved since the last anchor")
            return
        stamped = "timestamped" if entry.get("tst") else f"NOT timestamped ({entry['error']})"
        click.echo(f"anchored event {entry['seq']}, {stamped}")

    app.cli.add_command(audit)

    exchange = AppGroup("exchange", help="Exchange between agencies (edXML, the axis).")

    @exchange.command("import-directory")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    def import_directory(path: str) -> None:
        """Create or update the directory from a CSV file (UTF-8; columns code,
        code_qd20, name, parent_code, reach, place, address, email, telephone, fax,
        website). All lines or none."""
        from pathlib import Path

        from backend.core.errors import ApiError
        from backend.exchange.directory import import_csv

        try:
            created, updated = import_csv(Path(path).read_text(encoding="utf-8-sig"))
        except ApiError as exc:
            raise click.ClickException(exc.detail) from exc
        click.echo(f"directory: {created} added, {updated} updated")

    @exchange.command("dev-axis")
    def dev_axis() -> None:
        """Write the development axis's systems (var/devaxis.json) for `make run`."""
        if current_app.extensions["settings"].is_production:
            raise click.ClickException("the development axis is for development only")
        from backend.exchange.directory import sync_installation
        from backend.exchange.seed import write_dev_axis_config

        sync_installation()
        path = write_dev_axis_config()
        click.echo(f"development axis configured: {path}")

    @exchange.command("poll")
    def poll() -> None:
        """Fetch and ingest what waits on the axis now, and send what waits to be sent."""
        from backend.exchange import receiving, sending

        sent = sending.send_due()
        counts = receiving.poll()
        click.echo(f"sent {sent}; received {counts}")

    app.cli.add_command(exchange)
