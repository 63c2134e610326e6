"""Placements context: enterprises, training centres, mentors (and soon students and placements)."""
