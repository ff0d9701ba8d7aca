"""Install the Store credit app straight from its manifest, without HTTP.

Saleor's own installation fetches the manifest over the network and posts a
token back; run from `manage.py` on the server, the manifest is at hand, so the
app is created the same way (Saleor's manifest validation, the same rows) in
one transaction. Removing the app deletes only the app: credit lives in the
plugin's own tables and never refers to it.
"""

from django.db import transaction

from .manifest import APP_IDENTIFIER, build_manifest, manifest_url


def find_installed_app():
    from saleor.app.models import App

    return App.objects.filter(
        identifier=APP_IDENTIFIER, removed_at__isnull=True
    ).first()


@transaction.atomic
def install_app(activate: bool = True):
    """Create the app and its extensions; ValidationError if Saleor refuses the manifest."""
    from saleor.app.manifest_validations import clean_manifest_data
    from saleor.app.models import App, AppExtension
    from saleor.app.types import AppType

    manifest = build_manifest()
    # Turns permission names into Permission rows and refuses a second install.
    clean_manifest_data(manifest, raise_for_saleor_version=True)
    app = App.objects.create(
        name=manifest["name"],
        identifier=manifest["id"],
        is_active=activate,
        is_installed=True,
        about_app=manifest.get("about"),
        homepage_url=manifest.get("homepageUrl"),
        support_url=manifest.get("supportUrl"),
        data_privacy_url=manifest.get("dataPrivacyUrl"),
        app_url=manifest.get("appUrl"),
        version=manifest.get("version"),
        manifest_url=manifest_url(),
        type=AppType.THIRDPARTY,
        author=manifest.get("author"),
    )
    app.permissions.set(manifest["permissions"])
    for data in manifest["extensions"]:
        options = data.get("options", {})
        extension = AppExtension.objects.create(
            app=app,
            identifier=data.get("identifier"),
            label=data["label"],
            url=data["url"],
            mount=data["mount"],
            target=data["target"],
            http_target_method=(options.get("widgetTarget") or {}).get("method"),
            settings=options,
        )
        extension.permissions.set(data["permissions"])
    return app


@transaction.atomic
def uninstall_app() -> int:
    """Delete the installed app(s); returns how many. Credit is untouched."""
    from saleor.app.models import App

    apps = App.objects.filter(identifier=APP_IDENTIFIER)
    count = apps.count()
    for app in apps:
        app.delete()
    return count
