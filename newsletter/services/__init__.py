"""Writes of the newsletter app, by sub-domain: subscriptions (opt in and out), sending."""
