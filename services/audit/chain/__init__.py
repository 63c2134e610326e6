"""Tamper evidence: a hash chain over each context's notification log, with checkpoints signed by the deployment's
current `checkpoints` key (services/common/signing_keys.py; each checkpoint names its key id), and the verification
that recomputes it from the events and checks each checkpoint against a trusted key.

    format   the canonical bytes of a notification, the hashes that link them, signed checkpoints
    store    the chain's tables in the context's database (SQLite or PostgreSQL) and AuditChain, which reads,
             extends and checkpoints one context's chain
    verify   the verification naming the first bad position and its kind
    keeper   the Keeper that extends every chain and checkpoints it when due
"""

from services.audit.chain.format import (
    CHECKPOINT_TYPE,
    GENESIS,
    LEAF_DOMAIN,
    LEAF_ENCODING,
    Checkpoint,
    checkpoint_message,
    fold,
    leaf,
    leaf_bytes,
    leaf_of,
    link,
    originator_text,
    sign_checkpoint,
)
from services.audit.chain.keeper import Keeper
from services.audit.chain.store import (
    AuditChain,
    ChainDatabase,
    PostgresChainDatabase,
    SQLiteChainDatabase,
)
from services.audit.chain.verify import (
    CHAIN_ROW_EDITED,
    CHAIN_ROW_MISSING,
    CHECKPOINT_EDITED,
    EDITED,
    INSERTED,
    REMOVED,
    REWRITTEN,
    SWAPPED,
    TRUNCATED,
    UNREADABLE,
    Finding,
    Report,
    verify_chain,
)

__all__ = [
    "CHAIN_ROW_EDITED", "CHAIN_ROW_MISSING", "CHECKPOINT_EDITED", "CHECKPOINT_TYPE", "EDITED", "GENESIS", "INSERTED",
    "LEAF_DOMAIN", "LEAF_ENCODING", "REMOVED", "REWRITTEN", "SWAPPED", "TRUNCATED", "UNREADABLE",
    "AuditChain", "ChainDatabase", "Checkpoint", "Finding", "Keeper", "PostgresChainDatabase", "Report",
    "SQLiteChainDatabase", "checkpoint_message", "fold", "leaf", "leaf_bytes", "leaf_of", "link", "originator_text",
    "sign_checkpoint", "verify_chain",
]
