"""Celery tasks of the gateway (imported by the package's tasks module).

Both are idempotent: they derive what is due from the current state, and every
ledger write they make is keyed.
"""

from celery.utils.log import get_task_logger
from saleor.celeryconf import app
from saleor.core.db.connection import allow_writer

from ..config import get_settings
from .orders import handle_order
from .sweeper import release_abandoned_checkouts

logger = get_task_logger(__name__)


@app.task(
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def handle_order_task(self, order_pk: str):
    """Retry of an order hook that failed (or a later trigger)."""
    with allow_writer():
        handle_order(order_pk, get_settings())


@app.task
def release_abandoned_checkouts_task():
    """Periodic: credit held on abandoned or deleted checkouts goes back."""
    with allow_writer():
        settings = get_settings()
        released = release_abandoned_checkouts(settings)
    if released:
        logger.info("Returned store credit from %s abandoned checkouts.", released)
    return released
