"""What the command groups share: settings read from the environment, refused in one line when unusable."""

from __future__ import annotations

import click

from dualtrack.settings import Settings, SettingsError


def settings_from_env() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
