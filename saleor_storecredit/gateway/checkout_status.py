"""Telling Saleor that a checkout's payments changed.

Saleor's public `transaction_amounts_for_checkout_updated_without_price_recalculation`
updates the checkout's charge and authorize status from the prices the caller
has just refreshed and sends the "fully paid / fully authorized" events, as
Saleor does after its own transaction mutations.
"""

from saleor.checkout.actions import (
    transaction_amounts_for_checkout_updated_without_price_recalculation,
)


def checkout_payments_changed(item, checkout_info, lines, total, manager, user):
    """Update the checkout's payment statuses and send Saleor's checkout events
    after `item` changed. The caller holds the checkout's lock and
    `checkout_info.checkout` is the locked row, priced just before."""
    checkout = checkout_info.checkout
    transaction_amounts_for_checkout_updated_without_price_recalculation(
        item, checkout, manager, user, None
    )
    checkout.search_index_dirty = True
    checkout.save(update_fields=["search_index_dirty"])
