"""1+X certificates: the catalogue, awards, credit accounts (a double-entry ledger), statements, order classes."""
