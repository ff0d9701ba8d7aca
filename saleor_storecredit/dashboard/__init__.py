"""The plugin as a Saleor app: Saleor itself serves its manifest and its pages.

The pages are static files built from `dashboard/` at the repository root and
shipped in `static/`; they talk to Saleor's own `/graphql/` with the token the
Dashboard hands them, so nothing here holds or reads store-credit data.
"""
