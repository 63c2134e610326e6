"""The request toolkit: the caller, receipts, freshness tokens, read recording, one error format, bearer tokens."""
