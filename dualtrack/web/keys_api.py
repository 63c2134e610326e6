"""The deployment's published signing keys: public, so that anyone holding a signed credit statement or an audit
export can check it against the keys this deployment signs with, and their history (services/common/signing_keys.py)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from contracts.http.keys import KeySetSchema
from services.common.signing_keys import key_store
from toolkit.http.context import deployment

blp = Blueprint(
    "keys", __name__, url_prefix="/api/v1",
    description="Signing keys: the public keys that sign credit statements, audit checkpoints and exports, one set "
    "per purpose with retired keys kept, so that what an older key signed still verifies after a rotation.",
)


@blp.route("/keys")
class Keys(MethodView):
    @blp.doc(security=[])
    @blp.response(200, KeySetSchema)
    def get(self) -> dict[str, Any]:
        """The published key set (no token needed; public keys only). `dualtrack credentials verify FILE --key-set
        KEYS` and `dualtrack audit verify-export FILE --key-set KEYS` check a file against it, saved as KEYS."""
        return key_store(deployment().settings).key_set().document()
