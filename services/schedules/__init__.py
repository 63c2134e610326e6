"""The schedules context: work-study alternation (rotation) plans, their conflicts and calendars."""
