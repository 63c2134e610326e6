"""Enterprise-led training: competency catalogues, training plans, practice logbooks with sign-off, assessments."""
