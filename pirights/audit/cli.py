"""`pirights audit ...` commands (SPEC §6): export, verify, sequence, keygen."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from pirights import cli_app
from pirights.cli_app import app_command


class InstantType(click.ParamType):
    """A time with an offset, or a date meaning midnight UTC (as the API accepts)."""

    name = "TIME"

    def convert(self, value, param, ctx) -> datetime:
        """Parse, or fail with click's usage error."""
        from pirights.audit.export import parse_instant

        if isinstance(value, datetime):
            return value
        try:
            return parse_instant(value)
        except ValueError as exc:
            self.fail(f"{value!r}: {exc}", param, ctx)


class Progress(cli_app.Progress):
    """Events handled so far on stderr, only when stderr is a terminal."""

    def __init__(self, total: int | None, verb: str = "exported") -> None:
        super().__init__(verb, total, unit="events")


@click.group("audit")
def audit_group() -> None:
    """Audit trail: export, verify, sequence, signing keys."""


@app_command(audit_group, "export")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option("--since", type=InstantType(), help="events at or after this time")
@click.option("--until", type=InstantType(), help="events before this time")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="file")
@click.option("--sign", is_flag=True, help="write OUTPUT.manifest.json signed with audit key")
def export_command(
    fmt: str, since: datetime | None, until: datetime | None, output: Path | None, sign: bool
) -> None:
    """Stream the audit events in seq order to OUTPUT (or stdout)."""
    from pirights.audit import export, service

    if since and until and since > until:
        raise click.UsageError("--until must not be before --since")
    if sign and output is None:
        raise click.UsageError("--sign needs -o FILE: the manifest is written beside it")
    key = service.signing_key() if sign else None
    window = service.begin_export(
        actor="system", fmt=fmt, since=since, until=until, signed=key is not None
    )
    summary = export.Summary()
    progress = Progress(window.count)
    sink = output.open("wb") if output else sys.stdout.buffer
    try:
        for chunk in export.summarised(service.engine(), window, fmt, summary):
            sink.write(chunk)
            progress.advance(summary.count)
    finally:
        if output:
            sink.close()
        else:
            sink.flush()
        progress.finish()
    if key is not None and output is not None:
        document = service.sign_summary(summary, fmt=fmt, window=window, key=key, file=output.name)
        manifest_path = output.with_name(output.name + ".manifest.json")
        manifest_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        click.echo(f"signed manifest: {manifest_path}", err=True)
    if output is not None:
        click.echo(f"exported {summary.count} events to {output}", err=True)


@audit_group.command("verify")
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="public key (PEM): also check FILE.manifest.json's signature and the file's hash",
)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="the signed manifest (default FILE.manifest.json)",
)
def verify_command(file: Path | None, key_file: Path | None, manifest: Path | None) -> None:
    """Verify an export FILE (JSONL or CSV), or the database's chain without FILE."""
    from pirights.audit import verify

    progress = Progress(None, "verified")
    if file is None:
        if key_file or manifest:
            raise click.UsageError("--key and --manifest need an export FILE")
        with cli_app.make_app().app_context():
            from pirights.audit.service import verify_stored_chain

            verdict = verify_stored_chain(progress.advance)
        progress.finish()
    else:
        try:
            if key_file is not None:
                manifest = manifest or file.with_name(file.name + ".manifest.json")
                if not manifest.exists():
                    raise ValueError(f"no manifest at {manifest}; name it with --manifest")
                verdict = verify.verify_signed_file(
                    file, manifest, key_file.read_bytes(), progress.advance
                )
            else:
                verdict = verify.verify_file(file, progress.advance)
        except (OSError, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            progress.finish()
    if not verdict.ok:
        click.echo(f"FAILED first bad seq {verdict.first_bad_seq} ({verdict.why})")
        sys.exit(1)
    waiting = f" ({verdict.pending} more accepted, not yet sequenced)" if verdict.pending else ""
    click.echo(f"OK {verdict.events} events{waiting}")
    if key_file is not None:
        click.echo("manifest signature valid; file hash, count and last hash match")


@app_command(audit_group, "sequence")
def sequence_command() -> None:
    """Sequence every accepted event still waiting for its seq (e.g. after a crash)."""
    from pirights.audit import sequencer
    from pirights.audit.service import engine

    moved = sequencer.catch_up(engine())
    with engine().connect() as conn:
        left = sequencer.pending_count(conn)
    click.echo(f"sequenced {moved} events, {left} waiting")


@audit_group.command("keygen")
@click.option(
    "--out",
    "prefix",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("audit-signing"),
    show_default=True,
    help="writes PREFIX.key (private, 0600) and PREFIX.pub",
)
def keygen_command(prefix: Path) -> None:
    """Make an Ed25519 key pair for signing export manifests."""
    from pirights.audit.signing import generate_pair

    try:
        private_path, public_path = generate_pair(prefix)
    except OSError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"private key: {private_path} (set audit.signing_key / PIRIGHTS_AUDIT_SIGNING_KEY)")
    click.echo(f"public key:  {public_path} (give it to whoever verifies exports)")


COMMANDS: list[click.Command] = [audit_group]
