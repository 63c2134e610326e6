"""What every bounded context shares: identity, errors, the application base class."""
