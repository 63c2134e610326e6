"""Read model `placement_register`: every placement with its approvals and history, per student and school."""
