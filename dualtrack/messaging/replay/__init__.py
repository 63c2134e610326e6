"""`dualtrack audit replay`: every projection rebuilt aside from Kafka and from the event stores and compared row
by row with its frozen live view.

    run      the replay: the live views frozen, the sources' ends captured, each projection rebuilt twice
    compare  two sides of a projection's tables compared by primary key
    report   what the replay found, as JSON and as a summary
"""

from dualtrack.messaging.replay.compare import columns_and_key
from dualtrack.messaging.replay.report import (
    ProjectionReplay,
    ReplayReport,
    RowDifference,
    SourceReplay,
    TableDifferences,
    summary,
)
from dualtrack.messaging.replay.run import LIVE_SUFFIX, MAX_LISTED, REBUILT_SUFFIX, ProgressCallback, replay_all

__all__ = [
    "LIVE_SUFFIX", "MAX_LISTED", "REBUILT_SUFFIX", "ProgressCallback", "ProjectionReplay", "ReplayReport",
    "RowDifference", "SourceReplay", "TableDifferences", "columns_and_key", "replay_all", "summary",
]
