"""Per-shop backups: one `.tar.gz` holding the shop's schema (`pg_dump`,
custom format), its media files and a manifest; restoring one as a new shop;
the daily scheduled backups with their retention.

The PostgreSQL tools run through tenants.pg (the connection in their
environment, never on their command line). A restore never touches the original shop: the dump is loaded into a scratch
database, its schema renamed there, dumped again and loaded under the new
shop's schema name.
"""

import hashlib
import json
import os
import secrets
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_exists, tenant_context

from oxy.ttl_cache import ttl_caches_clear
from whatsapp.inbox.models import ChannelRoute, Provider
from whatsapp.models import Channel, ChannelStateChange
from whatsapp.services.channels import channel_route_create, evolution_instance_token

from .integrations.models import WebhookDelivery, WebhookEndpoint
from .models import BackupRecord, Domain, Organization, schema_name_for_slug, validate_slug
from .pg import PgToolError, pg_run
from .schema_template import applied_migrations, tenant_migrations_on_disk
from .services import in_each_active_shop, shop_domain
from .shop.models import ApiKey
from .shop.services import Actor, audit_record, tenant_secrets_rotate

ARCHIVE_FORMAT = 1
MANIFEST = "manifest.json"
DUMP = "schema.dump"
MEDIA = "media"
# A scheduled backup still `running` after this long died with its worker.
STALE_RUN = timedelta(hours=2)

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


class BackupError(Exception):
    """A backup or restore cannot go on; the message is one line for a human."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class RestoreResult:
    organization: Organization
    domain: str
    channels_detached: list[str]
    api_keys_revoked: int
    webhooks_paused: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksum_path(archive: Path) -> Path:
    return archive.with_name(archive.name + ".sha256")


def _pg_run(tool: str, *args: str) -> None:
    try:
        pg_run(tool, *args)
    except PgToolError as exc:
        raise BackupError(str(exc)) from exc


def _media_dir(schema_name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / schema_name


def _manifest(organization: Organization, files: dict[str, str]) -> dict:
    fields = ["slug", "schema_name", "name", "status", "vertical", "timezone", "plan", "max_channels",
              "max_staff_users", "max_monthly_ai_spend_cents", "created_by_name", "created_by_email"]  # fmt: skip
    routes = ChannelRoute.objects.filter(organization=organization).order_by("pk")
    return {
        "format": ARCHIVE_FORMAT,
        "created_at": timezone.now().isoformat(),
        "organization": {
            **{name: getattr(organization, name) for name in fields},
            "created_at": organization.created_at.isoformat(),
        },
        "domains": [{"domain": d.domain, "is_primary": d.is_primary} for d in organization.domains.order_by("pk")],
        # Without their secrets: a restored shop gets fresh routes.
        "channel_routes": [
            {"provider": r.provider, "external_id": r.external_id, "channel_id": r.channel_id} for r in routes
        ],
        "migrations": sorted(f"{app}.{name}" for app, name in applied_migrations(organization.schema_name)),
        "files": files,
    }


def organization_backup(*, organization: Organization, output: Path, progress: Progress = _quiet) -> BackupResult:
    """Write one shop's archive to `output` (atomically) and its checksum
    beside it (`<output>.sha256`)."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    media = _media_dir(organization.schema_name)
    with tempfile.TemporaryDirectory(prefix=".oxy-backup-", dir=output.parent) as work:
        dump = Path(work) / DUMP
        started = time.monotonic()
        progress(f"dumping schema {organization.schema_name}...")
        _pg_run("pg_dump", "--format=custom", "--schema", organization.schema_name, "--file", str(dump))
        progress(f"  {dump.stat().st_size:,} bytes in {time.monotonic() - started:.1f} s")
        media_files = sorted(p for p in media.rglob("*") if p.is_file()) if media.is_dir() else []
        progress(f"hashing {len(media_files)} media files...")
        files = {DUMP: file_sha256(dump)}
        files |= {f"{MEDIA}/{p.relative_to(media).as_posix()}": file_sha256(p) for p in media_files}
        manifest = _manifest(organization, files)
        (Path(work) / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        progress(f"writing {output.name}...")
        partial = Path(work) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(Path(work) / MANIFEST, arcname=MANIFEST)
            archive.add(dump, arcname=DUMP)
            for path in media_files:
                archive.add(path, arcname=f"{MEDIA}/{path.relative_to(media).as_posix()}")
        digest = file_sha256(partial)
        os.replace(partial, output)
    checksum_path(output).write_text(f"{digest}  {output.name}\n")
    size = output.stat().st_size
    progress(f"done: {size:,} bytes, sha256 {digest}")
    return BackupResult(path=output, size_bytes=size, sha256=digest)


def _archive_unpack(archive: Path, into: Path) -> dict:
    """Check the archive against its checksum file (when present) and every
    file against the manifest; the manifest."""
    if not archive.is_file():
        raise BackupError(f"no archive at {archive}")
    recorded = checksum_path(archive)
    if recorded.is_file() and recorded.read_text().split()[:1] != [file_sha256(archive)]:
        raise BackupError(f"{archive.name} does not match its checksum in {recorded.name}: the archive is corrupt")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")
        manifest = json.loads((into / MANIFEST).read_text())
    except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
        raise BackupError(f"{archive.name} is corrupt or not an Oxy shop backup ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
        raise BackupError(f"{archive.name} is not an Oxy shop backup of format {ARCHIVE_FORMAT}")
    present = {p.relative_to(into).as_posix() for p in into.rglob("*") if p.is_file()} - {MANIFEST}
    if present != set(manifest["files"]):
        raise BackupError(f"{archive.name} does not hold the files its manifest lists: the archive is corrupt")
    for name, digest in manifest["files"].items():
        if file_sha256(into / name) != digest:
            raise BackupError(f"{name} in {archive.name} does not match its checksum: the archive is corrupt")
    return manifest


def _restore_target_check(*, slug: str) -> str:
    try:
        validate_slug(slug)
    except ValidationError as exc:
        raise BackupError(exc.messages[0]) from exc
    schema_name = schema_name_for_slug(slug)
    if Organization.objects.filter(slug=slug).exists() or schema_exists(schema_name):
        raise BackupError(f"the slug '{slug}' is already taken: choose a new slug to restore into")
    if Domain.objects.filter(domain=shop_domain(slug)).exists():
        raise BackupError(f"the domain '{shop_domain(slug)}' is already taken")
    media = _media_dir(schema_name)
    if media.exists() and any(media.iterdir()):
        raise BackupError(f"{media} already holds files: move them away first")
    return schema_name


def _schema_load_renamed(*, dump: Path, old_schema: str, new_schema: str, work: Path, progress: Progress) -> None:
    """Load `dump` (schema `old_schema`) into this database as `new_schema`,
    all or nothing, by way of a scratch database (a shop restored under its
    own slug, after it was deleted, needs no renaming)."""
    renamed = dump
    if old_schema != new_schema:
        renamed = work / "renamed.dump"
        _dump_renamed(dump=dump, old_schema=old_schema, new_schema=new_schema, into=renamed, progress=progress)
    progress(f"loading schema {new_schema}...")
    _pg_run("pg_restore", "--dbname", connection.settings_dict["NAME"], "--no-owner", "--no-privileges",
            "--exit-on-error", "--single-transaction", str(renamed))  # fmt: skip


def _dump_renamed(*, dump: Path, old_schema: str, new_schema: str, into: Path, progress: Progress) -> None:
    scratch = f"oxy_restore_{secrets.token_hex(6)}"
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")
        extensions = [row[0] for row in cursor.fetchall()]
    progress(f"loading the dump into scratch database {scratch}...")
    _pg_run("createdb", "--template=template0", scratch)
    try:
        for extension in extensions:
            _pg_run("psql", "--no-psqlrc", "--dbname", scratch, "-v", "ON_ERROR_STOP=1",
                    "--command", f"CREATE EXTENSION IF NOT EXISTS {qn(extension)} SCHEMA public")  # fmt: skip
        _pg_run("pg_restore", "--dbname", scratch, "--no-owner", "--no-privileges", "--exit-on-error", str(dump))
        _pg_run("psql", "--no-psqlrc", "--dbname", scratch, "-v", "ON_ERROR_STOP=1",
                "--command", f"ALTER SCHEMA {qn(old_schema)} RENAME TO {qn(new_schema)}")  # fmt: skip
        _pg_run("pg_dump", "--dbname", scratch, "--format=custom", "--schema", new_schema, "--file", str(into))
    finally:
        _pg_run("dropdb", "--if-exists", scratch)


def _channels_detach(*, organization: Organization, actor: Actor) -> list[str]:
    """The restored shop's channels, disconnected, under new external ids and
    fresh webhook routes: the original shop keeps its numbers and routes."""
    detached = []
    reason = _("restored from a backup: connect the number again")
    for channel in Channel.objects.select_for_update().order_by("pk"):
        previous, previous_state = channel.external_id, channel.state
        channel.external_id = f"{organization.slug}-{secrets.token_hex(4)}"
        channel.credentials = evolution_instance_token() if channel.provider == Provider.EVOLUTION else ""
        channel.state, channel.state_reason, channel.state_changed_at = Channel.State.LOGGED_OUT, reason, timezone.now()
        channel.pairing_code = channel.qr_code = ""
        channel.reconnect_attempts, channel.next_reconnect_at = 0, None
        channel.save()
        ChannelStateChange.objects.create(
            channel=channel, from_state=previous_state, to_state=channel.state, reason=reason
        )
        channel_route_create(channel=channel, organization=organization)
        audit_record(actor=actor, action="channel.detached_on_restore", target=channel.name,
                     data={"was": previous, "now": channel.external_id})  # fmt: skip
        detached.append(f"{channel.name} ({channel.provider}, was {previous})")
    return detached


def _organization_register(
    *, manifest: dict, slug: str, schema_name: str, name: str | None, actor_name: str, actor_email: str
) -> RestoreResult:
    original = manifest["organization"]
    actor = Actor.support(name=actor_name, email=actor_email)
    copied = ["vertical", "timezone", "plan", "max_channels", "max_staff_users", "max_monthly_ai_spend_cents"]
    with transaction.atomic():
        organization = Organization.objects.create(
            schema_name=schema_name, slug=slug, name=(name or original["name"]).strip(),
            created_by_name=actor_name, created_by_email=actor_email,
            **{field: original[field] for field in copied},
        )  # fmt: skip
        domain = Domain.objects.create(domain=shop_domain(slug), tenant=organization, is_primary=True)
        with tenant_context(organization):
            detached = _channels_detach(organization=organization, actor=actor)
            tenant_secrets_rotate(actor=actor)
            revoked = ApiKey.objects.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
            # The shop's own systems must not hear the copy's events (nor old retries) as the shop's.
            paused = WebhookEndpoint.objects.filter(active=True).update(active=False)
            WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).update(
                status=WebhookDelivery.Status.FAILED, next_attempt_at=None, error="shop restored as a copy"
            )
            audit_record(actor=actor, action="organization.restored", target=slug,
                         data={"from": original["slug"], "backup_created_at": manifest["created_at"]})  # fmt: skip
        transaction.on_commit(ttl_caches_clear)
    return RestoreResult(
        organization=organization, domain=domain.domain, channels_detached=detached, api_keys_revoked=revoked,
        webhooks_paused=paused,
    )  # fmt: skip


def organization_restore(
    *, archive: Path, slug: str, name: str | None = None, actor_name: str, actor_email: str,
    progress: Progress = _quiet,
) -> RestoreResult:  # fmt: skip
    """Restore a shop's archive as a new shop `slug`, all or nothing.

    Channels come back disconnected with fresh webhook routes, the shop's
    secrets are rotated, its API keys revoked and its outbound webhooks
    paused, so the copy and the original never share a number, a webhook or
    a credential.
    """
    schema_name = _restore_target_check(slug=slug)
    with tempfile.TemporaryDirectory(prefix="oxy-restore-") as tmp:
        work = Path(tmp)
        progress(f"checking {archive.name}...")
        manifest = _archive_unpack(archive, work / "archive")
        on_disk = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
        unknown = {tuple(m.split(".", 1)) for m in manifest["migrations"]} - on_disk
        if unknown:
            raise BackupError(f"the backup was made by a newer Oxy (unknown migrations: {sorted(unknown)[:3]})")
        old_schema = manifest["organization"]["schema_name"]
        _schema_load_renamed(
            dump=work / "archive" / DUMP, old_schema=old_schema, new_schema=schema_name, work=work, progress=progress
        )
        media = _media_dir(schema_name)
        try:
            if tenant_migrations_on_disk() - applied_migrations(schema_name):
                progress("applying migrations newer than the backup...")
                call_command("migrate_schemas", schema_name=schema_name, interactive=False, verbosity=0)
                connection.set_schema_to_public()
            result = _organization_register(
                manifest=manifest, slug=slug, schema_name=schema_name, name=name,
                actor_name=actor_name, actor_email=actor_email,
            )  # fmt: skip
            if (work / "archive" / MEDIA).is_dir():
                progress(f"copying media files to {media}...")
                shutil.copytree(work / "archive" / MEDIA, media, dirs_exist_ok=True)
        except BaseException:
            connection.set_schema_to_public()
            Organization.objects.filter(slug=slug, schema_name=schema_name).delete()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {connection.ops.quote_name(schema_name)} CASCADE")
            shutil.rmtree(media, ignore_errors=True)
            raise
    return result


def backup_dir() -> Path:
    return Path(settings.OXY_BACKUP_DIR)


def _claim(*, organization: Organization, day: date, now: datetime) -> BackupRecord | None:
    """The day's record of this shop, marked running; None when it already
    succeeded or another run is at it (so a repeated run backs up once)."""
    with transaction.atomic():
        record, created = BackupRecord.objects.select_for_update().get_or_create(
            organization_slug=organization.slug, day=day,
            defaults={"organization": organization, "started_at": now},
        )  # fmt: skip
        if not created:
            if record.status == BackupRecord.Status.SUCCEEDED:
                return None
            if record.status == BackupRecord.Status.RUNNING and record.started_at > now - STALE_RUN:
                return None
            record.status, record.started_at, record.finished_at, record.error = (
                BackupRecord.Status.RUNNING, now, None, "")  # fmt: skip
            record.save(update_fields=["status", "started_at", "finished_at", "error"])
    return record


def organization_backup_scheduled(*, organization: Organization, day: date) -> BackupRecord | None:
    """The shop's backup of `day` into OXY_BACKUP_DIR, recorded; None when
    that day's backup is already done or under way."""
    record = _claim(organization=organization, day=day, now=timezone.now())
    if record is None:
        return None
    output = backup_dir() / organization.slug / f"{organization.slug}-{day.isoformat()}.tar.gz"
    try:
        result = organization_backup(organization=organization, output=output)
    except Exception as exc:  # noqa: BLE001 - recorded for support; the other shops still run
        record.status, record.error, record.finished_at = BackupRecord.Status.FAILED, str(exc)[:4000], timezone.now()
        record.save(update_fields=["status", "error", "finished_at"])
        return record
    record.status, record.finished_at = BackupRecord.Status.SUCCEEDED, timezone.now()
    record.path, record.size_bytes, record.sha256 = str(result.path), result.size_bytes, result.sha256
    record.save(update_fields=["status", "finished_at", "path", "size_bytes", "sha256"])
    return record


def backups_prune(*, now: datetime) -> int:
    """Delete the archives and records older than OXY_BACKUP_RETENTION_DAYS;
    how many records went."""
    cutoff = now - timedelta(days=settings.OXY_BACKUP_RETENTION_DAYS)
    root = backup_dir().resolve()
    expired = BackupRecord.objects.filter(started_at__lt=cutoff)
    for path in expired.exclude(path="").values_list("path", flat=True):
        archive = Path(path).resolve()
        # Only ever delete inside the backup directory.
        if archive.is_relative_to(root):
            archive.unlink(missing_ok=True)
            checksum_path(archive).unlink(missing_ok=True)
    return expired.delete()[0]


def backups_run_all_tenants() -> dict[str, str]:
    """Today's backup of every active shop, then pruning; status by slug."""
    day = timezone.localdate()
    records = in_each_active_shop(lambda: organization_backup_scheduled(organization=connection.tenant, day=day))
    backups_prune(now=timezone.now())
    return {slug: record.status if record else "already done" for slug, record in records.items()}
