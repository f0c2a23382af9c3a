"""A shop's backup restores as a new shop with the same data, on its own host,
without touching the original; broken archives and taken slugs are refused;
the daily job records each archive and prunes the old ones."""

import json
import shutil
import tarfile
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_exists, tenant_context

from bookings.models import Booking, Customer, Pet, Resource, Service
from bookings.services import booking_create, customer_get_or_create, pet_register
from tenants.backups import BackupError, checksum_path, file_sha256, organization_backup, organization_restore
from tenants.integrations.models import WebhookEndpoint
from tenants.integrations.services.webhooks import webhook_endpoint_create
from tenants.models import BackupRecord, Domain, Organization
from tenants.services import organization_provision
from tenants.shop.models import TenantSecret
from tenants.tasks import backup_all_tenants_task
from tests.fixtures.bookings import NOW, STAFF
from tests.fixtures.shop_days import sao_paulo
from tests.fixtures.whatsapp import connected_sandbox_channel
from whatsapp.inbox.models import ChannelRoute
from whatsapp.models import Channel, Conversation, Message

SOURCE = "bk-source"
OWNER = ("owner@bk-source.test", "bk-owner-password")
PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg"


def _counts() -> dict[str, int]:
    models = (Customer, Pet, Booking, Conversation, Message, Channel)
    return {model.__name__: model.objects.count() for model in models}


def _drop(slug: str) -> None:
    schema = f"shop_{slug.replace('-', '_')}"
    Organization.objects.filter(slug=slug).delete()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    shutil.rmtree(Path(settings.MEDIA_ROOT) / schema, ignore_errors=True)


@pytest.fixture(scope="module")
def source(django_db_setup, django_db_blocker) -> Organization:
    """A committed shop with a customer, a dog, a booking, a conversation and
    a photo (pg_dump sees only committed rows)."""
    with django_db_blocker.unblock():
        shop = organization_provision(
            name="Banho & Tosa Fonte", slug=SOURCE, owner_email=OWNER[0], owner_phone="+5511987650099",
            created_by_name="Test Harness", created_by_email="harness@oxy.test", owner_password=OWNER[1],
        )  # fmt: skip
        organization = shop.organization
        with tenant_context(organization):
            customer, _ = customer_get_or_create(phone="+5511912345678", name="Maria Souza", actor=STAFF)
            dog = pet_register(customer=customer, name="Thor", species="dog", size="G", actor=STAFF)
            booking_create(
                service=Service.objects.get(category=Service.Category.BATH), resource=Resource.objects.get(),
                start=sao_paulo(NOW.date(), "10:00"), customer=customer, pet=dog, actor=STAFF, now=NOW,
            )  # fmt: skip
            channel, _route = connected_sandbox_channel("Balcão")
            conversation = Conversation.objects.create(customer=customer, channel=channel, address="5511912345678")
            common = {"conversation": conversation, "channel": channel, "direction": "in", "sender_kind": "customer"}
            Message.objects.create(**common, text="Oi, quero um banho pro Thor", status="received")
            photo = Message(**common, kind="image", status="received")
            photo.media.save("thor.jpg", ContentFile(PHOTO))
            webhook_endpoint_create(url="https://erp.example.com/oxy", events=["booking.created"], actor=STAFF)
        connection.set_schema_to_public()
        yield organization
        for slug in (SOURCE, "bk-copy", "bk-fresh", "bk-again"):
            _drop(slug)
        BackupRecord.objects.all().delete()


@pytest.fixture(scope="module")
def archive(source, django_db_blocker, tmp_path_factory) -> Path:
    path, out = tmp_path_factory.mktemp("backups") / "bk.tar.gz", StringIO()
    with django_db_blocker.unblock():
        call_command("backup_tenant", SOURCE, "--output", str(path), stdout=out)
    assert f"sha256 {file_sha256(path)}" in out.getvalue()
    return path


@pytest.fixture
def copy_of(archive, committed_db):
    return lambda path: Path(shutil.copy(path, archive.parent / f"copy-{path.name}"))


def test_backup_holds_the_schema_media_and_a_manifest_of_the_shop(source, archive, committed_db):
    assert checksum_path(archive).read_text().split()[0] == file_sha256(archive)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))

    assert "schema.dump" in names
    assert any(name.startswith("media/whatsapp/") and name.endswith(".jpg") for name in names)
    assert manifest["organization"]["slug"] == SOURCE
    assert manifest["organization"]["schema_name"] == "shop_bk_source"
    assert manifest["domains"] == [{"domain": f"{SOURCE}.{settings.OXY_BASE_DOMAIN}", "is_primary": True}]
    assert [route["provider"] for route in manifest["channel_routes"]] == ["sandbox"]
    assert "bookings.0001_initial" in manifest["migrations"]


def test_restore_as_a_new_slug_brings_back_the_data_on_its_own_host_and_leaves_the_original(
    source, archive, committed_db
):
    with tenant_context(source):
        before = _counts()
        original_channel = Channel.objects.get()
        original_secret = TenantSecret.objects.values_list("value", flat=True).first()
    original_route = ChannelRoute.objects.get(organization=source)

    out = StringIO()
    call_command("restore_tenant", str(archive), "--slug", "bk-copy", stdout=out)

    copy = Organization.objects.get(slug="bk-copy")
    assert copy.schema_name == "shop_bk_copy"
    assert copy.name == "Banho & Tosa Fonte"
    assert Domain.objects.get(tenant=copy).domain == f"bk-copy.{settings.OXY_BASE_DOMAIN}"
    with tenant_context(copy):
        assert _counts() == before
        assert Customer.objects.get().name == "Maria Souza"
        assert Pet.objects.get().name == "Thor"
        assert Booking.objects.get().start == sao_paulo(NOW.date(), "10:00")
        photo = Message.objects.get(kind="image")
        with photo.media.open("rb") as stream:
            assert stream.read() == PHOTO
        channel = Channel.objects.get()
        assert channel.state == Channel.State.LOGGED_OUT
        assert channel.external_id != original_channel.external_id
        assert TenantSecret.objects.values_list("value", flat=True).first() != original_secret
    new_route = ChannelRoute.objects.get(organization=copy)
    assert new_route.external_id == channel.external_id
    assert new_route.token != original_route.token
    assert f"Balcão (sandbox, was {original_channel.external_id}): disconnected" in out.getvalue()
    with tenant_context(copy):  # the shop's own systems never hear the copy
        assert not WebhookEndpoint.objects.get().active
    assert "1 outbound webhook(s) paused" in out.getvalue()

    client = Client(HTTP_HOST=f"bk-copy.{settings.OXY_BASE_DOMAIN}")
    assert client.get("/login/").status_code == 200
    with tenant_context(copy):
        assert client.login(username=OWNER[0], password=OWNER[1])

    with tenant_context(source):
        assert _counts() == before
        assert Channel.objects.get().external_id == original_channel.external_id
        assert Channel.objects.get().state == Channel.State.CONNECTED
        assert WebhookEndpoint.objects.get().active
    assert ChannelRoute.objects.get(organization=source).token == original_route.token
    assert Path(settings.MEDIA_ROOT, source.schema_name, photo.media.name).read_bytes() == PHOTO


def test_a_deleted_shop_comes_back_under_its_own_slug(archive, committed_db, tmp_path):
    organization_restore(archive=archive, slug="bk-again", actor_name="Ana", actor_email="ana@oxy.dev")
    again = Organization.objects.get(slug="bk-again")
    own_archive = organization_backup(organization=again, output=tmp_path / "again.tar.gz").path
    with tenant_context(again):
        before = _counts()
    _drop("bk-again")

    organization_restore(archive=own_archive, slug="bk-again", actor_name="Ana", actor_email="ana@oxy.dev")

    with tenant_context(Organization.objects.get(slug="bk-again")):
        assert _counts() == before


@pytest.mark.parametrize("with_checksum_file", [True, False])
def test_a_corrupt_archive_is_refused_and_nothing_is_created(archive, copy_of, with_checksum_file):
    broken = copy_of(archive)
    if with_checksum_file:
        shutil.copy(checksum_path(archive), checksum_path(broken))
    data = bytearray(broken.read_bytes())
    data[len(data) // 2] ^= 0xFF
    broken.write_bytes(bytes(data))

    with pytest.raises(BackupError, match="corrupt"):
        organization_restore(archive=broken, slug="bk-fresh", actor_name="Ana", actor_email="ana@oxy.dev")

    assert not Organization.objects.filter(slug="bk-fresh").exists()
    assert not schema_exists("shop_bk_fresh")
    assert not (Path(settings.MEDIA_ROOT) / "shop_bk_fresh").exists()
    assert not Domain.objects.filter(domain__startswith="bk-fresh.").exists()


def test_restoring_into_an_existing_slug_is_refused_with_a_clear_error(source, archive, committed_db):
    with tenant_context(source):
        before = _counts()

    with pytest.raises(CommandError, match="the slug 'bk-source' is already taken"):
        call_command("restore_tenant", str(archive), "--slug", SOURCE)

    assert Organization.objects.filter(slug=SOURCE).count() == 1
    with tenant_context(source):
        assert _counts() == before


def test_the_daily_job_records_each_shops_archive_once_a_day_and_prunes_old_ones(
    source, committed_db, settings, tmp_path
):
    settings.OXY_BACKUP_DIR = tmp_path
    old_archive = tmp_path / SOURCE / "bk-source-2000-01-01.tar.gz"
    old_archive.parent.mkdir()
    old_archive.write_bytes(b"old")
    checksum_path(old_archive).write_text("x  old\n")
    long_ago = timezone.now() - timedelta(days=settings.OXY_BACKUP_RETENTION_DAYS + 1)
    BackupRecord.objects.create(
        organization=source, organization_slug=SOURCE, day=long_ago.date(), started_at=long_ago,
        status=BackupRecord.Status.FAILED, path=str(old_archive), error="disk full",
    )  # fmt: skip

    first = backup_all_tenants_task()
    again = backup_all_tenants_task()

    record = BackupRecord.objects.get(organization=source)
    assert first[SOURCE] == BackupRecord.Status.SUCCEEDED
    assert again[SOURCE] == "already done"
    assert record.day == timezone.localdate()
    archive = Path(record.path)
    assert archive.parent == tmp_path / SOURCE
    assert record.size_bytes == archive.stat().st_size
    assert record.sha256 == file_sha256(archive)
    assert not old_archive.exists()
    assert not checksum_path(old_archive).exists()


def test_support_sees_the_backups_with_size_and_checksum_and_cannot_edit_them(support_client):
    now = timezone.now()
    record = BackupRecord.objects.create(
        organization_slug="alpha", day=now.date(), started_at=now, finished_at=now, size_bytes=2048,
        sha256="ab" * 32, status=BackupRecord.Status.SUCCEEDED, path="/backups/alpha/alpha.tar.gz",
    )  # fmt: skip

    page = support_client.get("/admin/tenants/backuprecord/").content.decode()
    change = support_client.post(f"/admin/tenants/backuprecord/{record.pk}/change/", {"path": "/etc/passwd"})

    assert "alpha" in page
    assert "2,0\xa0KB" in page or "2.0\xa0KB" in page
    assert "ab" * 32 in page
    assert change.status_code == 403
    record.refresh_from_db()
    assert record.path == "/backups/alpha/alpha.tar.gz"
