"""Dates typed by people (CSV files, command lines): YYYY-MM-DD or ISO date and time."""

from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


def parse_moment(text: str | None, *, end_of_day: bool = False) -> datetime | None:
    """A date alone means its start, or with `end_of_day` the start of the next day.

    Naive values are in the shop's time zone. Raises ValueError on anything else.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = parse_date(text)
        moment = None if day else parse_datetime(text)
    except ValueError:
        day = moment = None
    if day is not None:
        moment = datetime.combine(
            day + timedelta(days=1 if end_of_day else 0), time.min
        )
    if moment is None:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or ISO date and time.")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
