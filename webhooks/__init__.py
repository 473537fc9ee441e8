"""Webhooks for funders and integrations: signed, scoped, retried, logged (see services.py)."""
