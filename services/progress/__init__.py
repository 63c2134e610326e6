"""The progress read model: where each student stands, and what awaits whose signature."""
