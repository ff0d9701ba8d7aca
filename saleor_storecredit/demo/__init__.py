"""A one-command demo of store credit in a Saleor shop (see `make demo`)."""
