"""The figures page (managers and owners): a period of shop-local days,
every figure of `shop_summary` laid out, charts drawn on the server from
`series`, the results of the period's campaigns, and CSV exports (streamed
at once for short periods, built in the background for long ones)."""

from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from rest_framework import serializers

from agents.outreach.selectors import campaign_progress, campaigns_launched
from bookings.models import Booking, Species
from oxy.dashboard import actor_of, managers_page, page
from whatsapp.models import Message

from .api import PeriodInput
from .api_exports import STREAM_MAX_DAYS, ExportInput
from .charts import Bar, bar_chart, column_chart
from .exports import export_job_create
from .models import ExportJob
from .selectors import WEEKDAYS, series, shop_summary, today

Kind = ExportJob.Kind
PRESETS = [
    ("7d", gettext_lazy("Last 7 days")),
    ("30d", gettext_lazy("Last 30 days")),
    ("90d", gettext_lazy("Last 90 days")),
    ("this_month", gettext_lazy("This month")),
    ("last_month", gettext_lazy("Last month")),
    ("custom", gettext_lazy("From … to …")),
]
EVERY = [
    ("", gettext_lazy("Automatic")),
    ("day", gettext_lazy("By day")),
    ("week", gettext_lazy("By week")),
    ("month", gettext_lazy("By month")),
]
RECENT_JOBS = 5


def preset_period(preset: str, *, on: date) -> tuple[date, date]:
    """The shop-local days of a preset, ending `on` (today)."""
    if preset == "this_month":
        return on.replace(day=1), on
    if preset == "last_month":
        end = on.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    days = {"7d": 7, "30d": 30, "90d": 90}[preset]
    return on - timedelta(days=days - 1), on


def every_for(start: date, end: date) -> str:
    """Columns few enough to read: days up to a month, weeks up to half a year."""
    days = (end - start).days + 1
    return "day" if days <= 31 else "week" if days <= 183 else "month"


def _day_field(label: str, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def _checked_by(form: forms.Form, serializer: type[serializers.Serializer], data: dict) -> dict | None:
    """The API's own validation of the same input (one rule, one message):
    its validated data, or None with its errors put on the form's fields."""
    checked = serializer(data=data)
    if checked.is_valid():
        return checked.validated_data
    for field, errors in checked.errors.items():
        form.add_error(field if field in form.fields else None, [str(error) for error in errors])
    return None


class PeriodForm(forms.Form):
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PRESETS, required=False)
    every = forms.ChoiceField(label=gettext_lazy("Columns"), choices=EVERY, required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        typed = cleaned.get("from") or cleaned.get("to")
        cleaned["period"] = preset = cleaned.get("period") or ("custom" if typed else "30d")
        if preset == "custom":
            for field in ("from", "to"):
                if cleaned.get(field) is None and field not in self.errors:
                    self.add_error(field, _("Enter a date."))
            if self.errors:
                return cleaned
            start, end = cleaned["from"], cleaned["to"]
        else:
            start, end = preset_period(preset, on=today())
        period = _checked_by(self, PeriodInput, {"from": start.isoformat(), "to": end.isoformat()})
        if period:
            cleaned["from"], cleaned["to"] = period["from"], period["to"]
            cleaned["every"] = cleaned.get("every") or every_for(period["from"], period["to"])
        return cleaned


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Rows"), choices=Kind.choices)

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors:
            data = {"kind": cleaned["kind"], "from": cleaned["from"].isoformat(), "to": cleaned["to"].isoformat()}
            cleaned |= _checked_by(self, ExportInput, data) or {}
        return cleaned


# `from` is a Python keyword: the dates cannot be declared in the class bodies.
PeriodForm.base_fields |= {"from": _day_field(gettext_lazy("From")), "to": _day_field(gettext_lazy("To"))}
ExportForm.base_fields |= {"from": _day_field(gettext_lazy("From"), required=True),
                           "to": _day_field(gettext_lazy("To"), required=True)}  # fmt: skip


@managers_page
def analytics_page(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET)
    if not form.is_valid():
        return page(request, "analytics/index.html", {"form": form, "presets": PRESETS[:-1]}, status=400)
    start, end, every = form.cleaned_data["from"], form.cleaned_data["to"], form.cleaned_data["every"]
    period = {"from": start, "to": end}
    summary = shop_summary(start=start, end=end)
    context = {
        # The custom period's form shows the period shown, whichever way it was chosen.
        "form": PeriodForm(initial={**period, "every": request.GET.get("every", "")}),
        "preset": form.cleaned_data["period"],
        "presets": PRESETS[:-1],
        "every_asked": request.GET.get("every", ""),
        "start": start,
        "end": end,
        "days": (end - start).days + 1,
        "summary": summary,
        "shown": _shown(summary),
        "charts": _charts(summary, start=start, end=end, every=every),
        "campaigns": [
            {**campaign_progress(campaign=campaign), "status_label": campaign.get_status_display()}
            for campaign in campaigns_launched(start=start, end=end)
        ],  # fmt: skip
        "stream": (end - start).days < STREAM_MAX_DAYS,
        "export_kinds": Kind.choices,
        **_exports(ExportForm(initial=period)),
    }
    return page(request, "analytics/index.html", context)


# -- figures as people read them ----------------------------------------------------


def money(value: Decimal | str | None) -> str | None:
    return None if value is None else f"R$ {number_format(Decimal(value), 2, force_grouping=True)}"


def dollars(value: Decimal | str | None, places: int = 4) -> str | None:
    """Model spend: fractions of a cent matter (a cap is whole cents)."""
    return None if value is None else f"US$ {number_format(Decimal(value), places, force_grouping=True)}"


def percent(ratio: float | None) -> str | None:
    return None if ratio is None else f"{number_format(ratio * 100, 1)}%"


def duration(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": number_format(seconds, 0 if seconds == int(seconds) else 1)}
    minutes, rest = divmod(round(seconds), 60)
    if minutes >= 60:
        return _("%(hours)s h %(minutes)s min") % {"hours": minutes // 60, "minutes": minutes % 60}
    if not rest:
        return _("%(minutes)s min") % {"minutes": minutes}
    return _("%(minutes)s min %(seconds)s s") % {"minutes": minutes, "seconds": rest}


def _labelled(counts: dict[str, int], labels: dict[str, str]) -> list[tuple[str, int]]:
    """Most first; a code without a label (an old one) is shown as it is."""
    return sorted(((str(labels.get(code, code)), count) for code, count in counts.items()), key=lambda row: -row[1])


def _shown(summary: dict) -> dict:
    conversations, bookings, ai = summary["conversations"], summary["bookings"], summary["ai"]
    by_hour, by_weekday = bookings["by_hour"], bookings["by_weekday"]
    busiest_day = max(by_weekday, key=by_weekday.get) if by_weekday else None
    weekday_names = {code: WEEKDAYS_ABBR[iso - 1] for iso, code in WEEKDAYS.items()}
    return {
        "first_response_ai": duration(conversations["first_response_ai_s"]),
        "first_response_human": duration(conversations["first_response_human_s"]),
        "conversion_rate": percent(conversations["conversion_rate"]),
        "out_by_sender": _labelled(summary["messages"]["out_by_sender"], dict(Message.SenderKind.choices)),
        "revenue_booked": money(bookings["revenue_booked"]),
        "revenue_completed": money(bookings["revenue_completed"]),
        "average_ticket": money(bookings["average_ticket"]),
        "no_show_rate": percent(bookings["no_show_rate"]),
        "by_source": _labelled(bookings["by_source"], dict(Booking.Source.choices)),
        "top_services": [{**row, "revenue": money(row["revenue"])} for row in bookings["top_services"]],
        "busiest_hour": max(by_hour, key=by_hour.get) if by_hour else None,
        "busiest_weekday": weekday_names[busiest_day] if busiest_day else None,
        "pets": _labelled(summary["customers"]["pets_by_species"], dict(Species.choices)),
        "ai_cost": dollars(ai["cost"]),
        "cost_per_conversation": dollars(ai["cost_per_conversation"]),
        "cost_per_booking": dollars(ai["cost_per_booking"]),
        "month_spend": dollars(ai["month_spend"]),
        "monthly_cap": dollars(ai["monthly_cap"], places=2),
        "cap_used": percent(ai["cap_used"]),
        "cap_width": f"{min(100.0, 100 * ai['cap_used']):.1f}",
    }


# -- charts ---------------------------------------------------------------------------


def _short_money(value: Decimal | float) -> str:
    """A chart's money (bars are Decimal, ticks float): no cents when there are none, to keep labels short."""
    amount = Decimal(str(value))
    return f"R$ {number_format(amount, 0 if amount == amount.to_integral() else 2, force_grouping=True)}"


def _over_time(points: list[dict], every: str, key: str) -> list[Bar]:
    """One column per day, week or month; the tooltip names the whole bucket."""
    bars = []
    for point in points:
        first, last = date.fromisoformat(point["start"]), date.fromisoformat(point["end"])
        label = date_format(first, "M Y" if every == "month" else "j M")
        hint = (
            date_format(first, "j M Y")
            if first == last
            else f"{date_format(first, 'j M')}–{date_format(last, 'j M Y')}"
        )
        bars.append(Bar(label, Decimal(point[key]) if key == "total" else point[key], hint))
    return bars


def _charts(summary: dict, *, start: date, end: date, every: str) -> dict:
    def over_time(metric: str, key: str = "count") -> list[Bar]:
        return _over_time(series(start=start, end=end, metric=metric, every=every), every, key)

    x_label = {"day": _("Day"), "week": _("Week starting"), "month": _("Month")}[every]
    bookings = summary["bookings"]
    hours = sorted(bookings["by_hour"])
    by_hour = [Bar(f"{hour}h", bookings["by_hour"].get(hour, 0), f"{hour}:00") for hour in
               range(hours[0], hours[-1] + 1)] if hours else []  # fmt: skip
    by_weekday = [
        Bar(str(WEEKDAYS_ABBR[iso - 1]), bookings["by_weekday"].get(code, 0)) for iso, code in WEEKDAYS.items()
    ]
    by_source = [Bar(label, count) for label, count in _labelled(bookings["by_source"], dict(Booking.Source.choices))]
    return {
        "conversations": column_chart(
            chart_id="chart-conversations", title=_("Conversations started"), x_label=x_label,
            y_label=_("Conversations"), bars=over_time("conversation_started"),
        ),
        "bookings": column_chart(
            chart_id="chart-bookings", title=_("Bookings made"), x_label=x_label, y_label=_("Bookings"),
            bars=over_time("booking_created"),
        ),
        "revenue": column_chart(
            chart_id="chart-revenue", title=_("Revenue of completed bookings"), x_label=x_label, y_label=_("Reais"),
            bars=over_time("booking_completed", "total"), fmt=_short_money, integer=False,
        ),
        "by_hour": column_chart(
            chart_id="chart-hours", title=_("Bookings by appointment hour"), x_label=_("Hour of the appointment"),
            y_label=_("Bookings"), bars=by_hour,
        ),
        "by_weekday": column_chart(
            chart_id="chart-weekdays", title=_("Bookings by appointment weekday"),
            x_label=_("Weekday of the appointment"), y_label=_("Bookings"), bars=by_weekday,
        ),
        "by_source": bar_chart(
            chart_id="chart-sources", title=_("Bookings by source"), x_label=_("Bookings"), bars=by_source
        ),
    }  # fmt: skip


# -- exports ---------------------------------------------------------------------------


def _exports(form: ExportForm) -> dict:
    return {"export_form": form, "jobs": ExportJob.objects.all()[:RECENT_JOBS]}


@managers_page
@require_http_methods(["GET", "POST"])
def exports_page(request: HttpRequest) -> HttpResponse:
    """Background exports: the form that starts one, and the latest ones
    (those still running are polled until their file is ready)."""
    form = ExportForm(request.POST or None, initial={"from": today() - timedelta(days=89), "to": today()})
    if form.is_bound and form.is_valid():
        period = {"from": form.cleaned_data["from"], "to": form.cleaned_data["to"]}
        export_job_create(kind=form.cleaned_data["kind"], start=period["from"], end=period["to"],
                          requested_by=actor_of(request).label)  # fmt: skip
        if not request.htmx:
            return redirect("analytics-exports-page")
        form = ExportForm(initial={"kind": form.cleaned_data["kind"], **period})
    # htmx swaps only a 2xx answer: the fragment with the form's errors is one.
    status = 400 if form.errors and not request.htmx else 200
    return page(request, "analytics/exports.html", _exports(form), fragment="analytics/_exports.html", status=status)


@managers_page
def export_job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(ExportJob, pk=job_id)
    return page(request, "analytics/export_job.html", {"job": job}, fragment="analytics/_export_job.html")
