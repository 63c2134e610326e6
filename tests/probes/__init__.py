"""Probes that every route of the API joins by being in its OpenAPI document (tests/probes/routes.py reads it)."""
