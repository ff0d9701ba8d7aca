"""Answering from the checkout the mutation has just priced.

The checkout fields of the response (total, charge and authorize status) are
resolved through Saleor's price-calculation dataloader, which would fetch and
price the checkout again; priming it with the checkout info and lines the
mutation already holds (the locked, updated checkout) answers without that.
"""

from saleor.graphql.checkout.dataloaders.calculations import (
    CheckoutPriceCalculationByCheckoutIdAndWebhookSyncAndForceStatusUpdateLoader,
)


def prime_checkout_prices(context_info, checkout_info, lines):
    loader = (
        CheckoutPriceCalculationByCheckoutIdAndWebhookSyncAndForceStatusUpdateLoader(
            context_info.context
        )
    )
    token = checkout_info.checkout.token
    for allow_sync_webhooks in (True, False):
        for force_status_update in (True, False):
            loader.prime(
                (token, allow_sync_webhooks, force_status_update),
                (checkout_info, lines),
            )
