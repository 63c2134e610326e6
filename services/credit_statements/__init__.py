"""The credit statements read model: each student's credit account history, line by line, with running balances."""
