"""HTTP of the Store credit app, under <plugin URL>/dashboard/.

What is served holds no data: the manifest, the token target, the page shell
and its assets. The pages read and change credit only through Saleor's
/graphql/ with the token the Dashboard gives them, so every permission check
stays in the GraphQL API.
"""

import json
from html import escape

from django.http import (
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
    JsonResponse,
)
from django.urls import reverse

from . import assets
from .manifest import PAGES, build_manifest

PREFIX = "/dashboard/"

# The page may talk to its own origin only (Saleor's /graphql/), so the token it
# receives can never be sent anywhere else, whatever ends up in the page.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; object-src 'none'"
)


def handle(request, path: str | None) -> HttpResponse | None:
    """Answer a request to the plugin's URL, or None when it is not the app's."""
    if not path or not path.startswith(PREFIX):
        return None
    name = path[len(PREFIX) :]
    if name == "manifest":
        return _only(request, "GET", _manifest)
    if name == "register":
        return _only(request, "POST", _register)
    if name.startswith("assets/"):
        return _only(request, "GET", lambda r: _asset(name[len("assets/") :]))
    page = name.split("/", 1)[0]
    if page in PAGES:
        return _only(request, "GET", _page)
    return HttpResponseNotFound()


def _only(request, method, view):
    if request.method not in (method, "HEAD" if method == "GET" else method):
        return HttpResponseNotAllowed([method])
    return view(request)


def _manifest(request):
    response = JsonResponse(build_manifest())
    response["Cache-Control"] = "no-cache"
    return response


# Saleor sends {"auth_token": "..."}: a few hundred bytes.
MAX_REGISTER_BODY = 16 * 1024


def _register(request):
    """Saleor's token target: the token is acknowledged and dropped.

    The pages never need a stored app token (they get a user-scoped one from the
    Dashboard each time), so none is kept that could leak.
    """
    payload = None
    if len(request.body) <= MAX_REGISTER_BODY:
        try:
            payload = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):  # malformed, or nested past the limit
            payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("auth_token"), str):
        return JsonResponse(
            {"error": {"message": "Expected a JSON body with auth_token."}}, status=400
        )
    return JsonResponse({"success": True})


def _page(request):
    html = assets.index_html()
    if html is None:
        return HttpResponseNotFound("The Store credit pages are not built.")
    html = html.replace(assets.API_URL_PLACEHOLDER, escape(reverse("api")))
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = PAGE_CSP
    response["Cache-Control"] = "no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "same-origin"
    return response


def _asset(name: str):
    found = assets.read_asset(name)
    if found is None:
        return HttpResponseNotFound()
    content, content_type = found
    response = HttpResponse(content, content_type=content_type)
    # Built names carry a content hash: they never change.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
