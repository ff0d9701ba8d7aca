"""Telling Saleor that a checkout's payments changed, with data already in hand.

Saleor's `process_order_or_checkout_with_transaction` fetches the checkout's
lines and info again (about twenty queries) before it updates the checkout's
charge and authorize status and sends the "fully paid / fully authorized"
events. `storeCreditCheckoutApply` has just fetched and priced the same
checkout, so it hands that over and Saleor's own status code runs on it.
"""

from prices import Money
from saleor.checkout.payment_utils import update_checkout_payment_statuses
from saleor.payment.utils import process_order_or_checkout_with_transaction

try:  # Saleor 3.21 to 3.24; private, so a later release may drop it.
    from saleor.checkout.actions import _transaction_amounts_for_checkout_updated
except ImportError:  # pragma: no cover
    _transaction_amounts_for_checkout_updated = None


def checkout_payments_changed(item, checkout_info, lines, total, manager, user):
    """Update the checkout's payment statuses and send Saleor's checkout events
    after `item` changed. The caller holds the checkout's lock and
    `checkout_info.checkout` is the locked row; `total` is what is left to pay
    after gift cards, just computed from fresh prices."""
    if _transaction_amounts_for_checkout_updated is None:  # pragma: no cover
        process_order_or_checkout_with_transaction(item, manager, user, None)
        return
    checkout = checkout_info.checkout
    previous_charge_status = checkout.charge_status
    previous_authorize_status = checkout.authorize_status
    update_checkout_payment_statuses(
        checkout=checkout,
        checkout_total_gross=Money(max(total, 0), checkout.currency),
        checkout_has_lines=bool(lines),
    )
    _transaction_amounts_for_checkout_updated(
        item,
        previous_charge_status,
        previous_authorize_status,
        checkout_info,
        lines,
        manager,
        user,
        None,
    )
    checkout.search_index_dirty = True
    checkout.save(update_fields=["search_index_dirty"])
