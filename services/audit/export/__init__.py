"""A student's or a centre's full record as JSON lines with chain proofs, verifiable offline.

    format   the file's format: the header, the event lines and their proofs
    take     taking an export from the stores and their chains
    verify   verifying an export offline, naming the first bad line
"""

from services.audit.export.format import MEDIA_TYPE
from services.audit.export.take import TamperDetected, export_record
from services.audit.export.verify import ExportVerdict, verify_export

__all__ = ["MEDIA_TYPE", "ExportVerdict", "TamperDetected", "export_record", "verify_export"]
