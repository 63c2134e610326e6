"""Mail: a durable outbox in the view database, and the SMTP transport that sends it."""

from toolkit.mail.outbox import Mail, MailDeferred, MailOutbox, MailRefused, MailStatus, Transport
from toolkit.mail.smtp import SmtpTransport, build_message, message_id

__all__ = ["Mail", "MailDeferred", "MailOutbox", "MailRefused", "MailStatus", "SmtpTransport", "Transport",
           "build_message", "message_id"]
