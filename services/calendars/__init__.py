"""The calendars read model: each student's and each centre's blocks, as JSON and as iCalendar feeds."""
