"""Whom a verifying command trusts: `--public-key FILE` (a pinned key), `--key-set FILE` (the deployment's published
key set, GET /api/v1/keys saved to a file) or `--deployment` (on the deployment itself: its own key set, read from
DUALTRACK_DATA_DIR without writing anything). The key a signed file carries is never trusted on its own: a verifying
command given none of them exits 2 and says why."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dualtrack.cli_support import settings_from_env

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def trust_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add --public-key, --key-set and --deployment to a verifying command."""
    command = click.option("--deployment", "own_key_set", is_flag=True,
                           help="Run on the deployment itself: trust its own key set (DUALTRACK_DATA_DIR).")(command)
    command = click.option("--key-set", "key_set_file", type=_FILE, default=None,
                           help="Trust the deployment's published key set: the JSON of GET /api/v1/keys, saved.")(
        command)
    return click.option("--public-key", "public_key_file", type=_FILE, default=None,
                        help="Trust only this public key (PEM, or the base64 of the raw 32 bytes), pinned.")(command)


def trusted(public_key_file: Path | None, key_set_file: Path | None, own_key_set: bool, *,
            default_to_deployment: bool = False) -> Any:
    """The trust the options give (services.common.signing.PinnedKey or KeySet); with none, the deployment's own key
    set when `default_to_deployment`, else exit 2 saying why."""
    from services.common.signing import NO_TRUST, PinnedKey, load_public_key, read_key_set
    from services.common.signing_keys import key_store

    given = [name for name, value in (("--public-key", public_key_file), ("--key-set", key_set_file),
                                      ("--deployment", own_key_set)) if value]
    if len(given) > 1:
        raise click.UsageError(f"give one of --public-key, --key-set or --deployment, not {' and '.join(given)}")
    if public_key_file is not None:
        try:
            return PinnedKey(load_public_key(public_key_file.read_bytes()))
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--public-key") from None
    if key_set_file is not None:
        try:
            return read_key_set(key_set_file.read_bytes())
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--key-set") from None
    if own_key_set or default_to_deployment:
        try:
            return key_store(settings_from_env()).key_set(create=False)
        except (OSError, ValueError) as error:
            raise click.ClickException(f"cannot read the deployment's signing keys: {error}") from None
    click.echo(f"cannot verify: {NO_TRUST}", err=True)
    sys.exit(2)

