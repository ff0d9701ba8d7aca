"""Prepare a shop for the demo: plugin enabled, a customer, a payment app."""

from decimal import Decimal

from django.contrib.auth import get_user_model
from saleor.app.models import App
from saleor.graphql.core.utils import to_global_id_or_none
from saleor.page.models import Page
from saleor.permission.models import Permission
from saleor.plugins.manager import get_plugins_manager
from saleor.product.models import ProductVariant
from saleor.site.models import SiteSettings

from ..config import PLUGIN_ID
from .flows import DemoShop

CUSTOMER_EMAIL = "storecredit.demo@example.com"
CUSTOMER_PASSWORD = "demo-password"
STAFF_EMAIL = "admin@example.com"
STAFF_PASSWORD = "admin"
ADDRESS = {
    "firstName": "Ada",
    "lastName": "Demo",
    "streetAddress1": "1470 Pinewood Avenue",
    "city": "MICHIGAN",
    "postalCode": "49855",
    "country": "US",
    "countryArea": "MI",
}


def enable_plugin(**settings) -> None:
    """Turn the gateway on as a merchant does in the Dashboard (pluginUpdate)."""
    manager = get_plugins_manager(allow_replica=False)
    configuration = [{"name": k, "value": v} for k, v in settings.items()]
    manager.save_plugin_configuration(
        PLUGIN_ID, None, {"active": True, "configuration": configuration}
    )


def create_customer(email=CUSTOMER_EMAIL, password=CUSTOMER_PASSWORD):
    user, _ = get_user_model().objects.get_or_create(
        email=email, defaults={"is_active": True, "is_confirmed": True}
    )
    user.set_password(password)
    user.save()
    return user


def create_payment_app() -> str:
    """An app with HANDLE_PAYMENTS that pays what credit does not cover."""
    app = App.objects.create(name="Demo payment app", is_active=True)
    app.permissions.add(Permission.objects.get(codename="handle_payments"))
    _, token = app.tokens.create(app=app, name="demo")
    return token


def pick_variant(channel_slug: str, minimum_price=Decimal(40)) -> ProductVariant:
    """A variant sold in the channel, in stock, needing shipping and priced so
    that the demo's credit pays only part of it."""
    variant = (
        ProductVariant.objects.filter(
            channel_listings__channel__slug=channel_slug,
            channel_listings__price_amount__gte=minimum_price,
            product__channel_listings__channel__slug=channel_slug,
            product__channel_listings__is_published=True,
            product__product_type__is_shipping_required=True,
            stocks__quantity__gt=10,
        )
        .order_by("channel_listings__price_amount", "pk")
        .first()
    )
    if variant is None:
        raise RuntimeError(f"No product to buy in channel {channel_slug!r}.")
    return variant


def refund_reason_page() -> Page | None:
    """A refund reason, when the shop requires staff to give one (sample data does)."""
    settings = SiteSettings.objects.first()
    if settings is None or settings.refund_reason_reference_type_id is None:
        return None
    return Page.objects.filter(
        page_type_id=settings.refund_reason_reference_type_id
    ).first()


def demo_shop(channel_slug: str, customer) -> DemoShop:
    variant = pick_variant(channel_slug)
    return DemoShop(
        refund_reason_reference=to_global_id_or_none(refund_reason_page()),
        channel_slug=channel_slug,
        variant_id=to_global_id_or_none(variant),
        customer_email=customer.email,
        customer_id=to_global_id_or_none(customer),
        address=ADDRESS,
    )
