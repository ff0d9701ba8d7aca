"""Store credit (customer wallet) payment gateway for Saleor."""
