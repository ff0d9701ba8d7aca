"""The Saleor payment gateway built on the ledger: both payment roads and the hooks."""
