"""Marshmallow schemas: the shapes of HTTP requests and responses and of published event payloads."""
