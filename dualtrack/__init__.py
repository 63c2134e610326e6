"""dualtrack: the shell around the bounded contexts (settings, composition root, web, messaging, CLI)."""
