"""CSV exports over REST, for managers and owners.

- `GET  /api/v1/analytics/export/<kind>.csv?from=&to=`: up to 31 days,
  streamed at once (`kind`: conversations or bookings).
- `POST /api/v1/analytics/exports/` `{"kind", "from", "to"}`: up to 366 days,
  built in the background; answers 202 with the job.
- `GET  /api/v1/analytics/exports/`: the shop's jobs, newest first.
- `GET  /api/v1/analytics/exports/<id>/`: poll a job (status, progress,
  and the download URL once done).
- `GET  /api/v1/analytics/exports/<id>/download/`: the finished file.

Errors are JSON (`{"code", "message", "fields"}`) whatever the client
accepts, even on the CSV URLs.
"""

from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, OpenApiTypes, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.availability import shop_timezone
from oxy.api import ManagersOnly, Pagination, request_actor
from oxy.openapi import error_response

from .api import PeriodInput
from .exports import export_csv, export_filename, export_job_create
from .models import ExportJob

STREAM_MAX_DAYS = 31
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
CSV_RESPONSE = OpenApiResponse(OpenApiTypes.BINARY, description="CSV (UTF-8 with BOM, comma-separated)")


class JsonErrors(DefaultContentNegotiation):
    """A client asking for text/csv still gets its errors, in JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


# Described without `enum` in the schema: a second choice set named "kind"
# would rename the resources' `KindEnum` component under every client.
KINDS = "|".join(ExportJob.Kind.values)
KIND_SCHEMA = {"type": "string", "pattern": f"^({KINDS})$", "description": KINDS.replace("|", " or ")}


@extend_schema_field(KIND_SCHEMA)
class ExportKindField(serializers.ChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(choices=ExportJob.Kind.choices, **kwargs)


class ExportInput(PeriodInput):
    kind = ExportKindField()


class ExportStreamInput(ExportInput):
    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        if (attrs["to"] - attrs["from"]).days >= STREAM_MAX_DAYS:
            raise serializers.ValidationError(
                {"to": _("Up to 31 days can be downloaded at once. For a longer period, request a background export.")}
            )
        return attrs


class ExportJobOutput(serializers.ModelSerializer):
    kind = ExportKindField(read_only=True)
    period = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True)
    error = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id", "kind", "period", "status", "rows_done", "rows_total", "percent", "error", "download_url",
            "requested_by", "created_at", "started_at", "finished_at",
        ]  # fmt: skip

    def get_period(self, job: ExportJob) -> dict[str, str]:
        return {"start": job.start.isoformat(), "end": job.end.isoformat()}

    def get_error(self, job: ExportJob) -> str:
        return _(job.error) if job.error else ""

    def get_download_url(self, job: ExportJob) -> str | None:
        if job.status != ExportJob.Status.DONE:
            return None
        return self.context["request"].build_absolute_uri(reverse("analytics-export-download", args=[job.pk]))


class ExportStreamApi(APIView):
    permission_classes = [ManagersOnly]
    content_negotiation_class = JsonErrors

    @extend_schema(parameters=[PeriodInput], responses={(200, "text/csv"): CSV_RESPONSE})
    def get(self, request: Request, kind: str) -> StreamingHttpResponse:
        """The CSV of up to 31 days, streamed: one row per conversation, or per
        booking made in the period. Longer periods: `POST /analytics/exports/`."""
        data = ExportStreamInput(data={**request.query_params.dict(), "kind": kind})
        data.is_valid(raise_exception=True)
        start, end = data.validated_data["from"], data.validated_data["to"]
        # The rows are read while the response streams: the timezone is fixed now.
        content = export_csv(kind=kind, start=start, end=end, tz=shop_timezone())
        return _csv_attachment(StreamingHttpResponse(content, content_type=CSV_CONTENT_TYPE), kind, start, end)


class ExportJobsApi(APIView):
    permission_classes = [ManagersOnly]
    pagination_class = Pagination  # read by the schema too

    @extend_schema(responses=ExportJobOutput(many=True))
    def get(self, request: Request) -> Response:
        """The shop's background exports, newest first."""
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(ExportJob.objects.all(), request, view=self)
        return paginator.get_paginated_response(ExportJobOutput(page, many=True, context={"request": request}).data)

    @extend_schema(request=ExportInput, responses={202: ExportJobOutput})
    def post(self, request: Request) -> Response:
        """Build the CSV of up to 366 days in the background. Answers 202 with
        the job; poll its `Location` until `status` is `done` (then follow
        `download_url`) or `failed` (`error` says why)."""
        data = ExportInput(data=request.data)
        data.is_valid(raise_exception=True)
        job = export_job_create(
            kind=data.validated_data["kind"], start=data.validated_data["from"], end=data.validated_data["to"],
            requested_by=request_actor(request).label,
        )  # fmt: skip
        output = ExportJobOutput(job, context={"request": request}).data
        location = request.build_absolute_uri(reverse("analytics-export-detail", args=[job.pk]))
        return Response(output, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


class ExportJobDetailApi(APIView):
    permission_classes = [ManagersOnly]

    @extend_schema(responses=ExportJobOutput)
    def get(self, request: Request, job_id: int) -> Response:
        """A background export: status, rows done of rows total, percent, and the download URL once done."""
        job = get_object_or_404(ExportJob, pk=job_id)
        return Response(ExportJobOutput(job, context={"request": request}).data)


class ExportNotReady(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "export_not_ready"


class ExportJobDownloadApi(APIView):
    permission_classes = [ManagersOnly]
    content_negotiation_class = JsonErrors

    @extend_schema(
        responses={(200, "text/csv"): CSV_RESPONSE, 409: error_response("The export is queued, running or failed.")}
    )
    def get(self, request: Request, job_id: int) -> FileResponse:
        """The finished file (409 while the job is queued or running, or if it failed)."""
        job = get_object_or_404(ExportJob, pk=job_id)
        if job.status != ExportJob.Status.DONE:
            status_name = job.get_status_display()
            raise ExportNotReady(_("This export is not ready: it is %(status)s.") % {"status": status_name})
        if not job.file or not job.file.storage.exists(job.file.name):
            raise exceptions.NotFound(_("The file of this export is no longer available. Please request it again."))
        response = FileResponse(job.file.open("rb"), content_type=CSV_CONTENT_TYPE)
        return _csv_attachment(response, job.kind, job.start, job.end)


def _csv_attachment(response, kind: str, start, end):
    response["Content-Disposition"] = f'attachment; filename="{export_filename(kind=kind, start=start, end=end)}"'
    # Customers' names and phones: never kept by a shared cache.
    patch_cache_control(response, private=True, no_store=True)
    return response
