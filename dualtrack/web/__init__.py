"""The web shell: app factory, auth, error mapping, health."""
