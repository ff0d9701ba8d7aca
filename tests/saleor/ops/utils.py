from datetime import timedelta

from django.utils import timezone


def in_days(days: float):
    return timezone.now() + timedelta(days=days)
