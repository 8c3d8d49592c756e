"""Fakes of outside services (Stripe) that tests and local runs talk to over loopback."""
