"""Bounded contexts (write side) and read models (query side), one package each."""
