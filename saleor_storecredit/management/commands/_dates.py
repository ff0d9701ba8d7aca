"""Dates on the command line: YYYY-MM-DD or an ISO date and time."""

from datetime import datetime

from django.core.management.base import CommandError

from ...dates import parse_moment as parse_date_or_moment


def parse_moment(text: str | None, *, end_of_day: bool = False) -> datetime | None:
    try:
        return parse_date_or_moment(text, end_of_day=end_of_day)
    except ValueError as error:
        raise CommandError(str(error)) from None
