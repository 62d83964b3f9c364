"""Mail the one-time verification link to an objection's address (SMTP settings)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from pipelines.console.settings import SmtpSettings


class MailError(Exception):
    """The mail could not be handed to the SMTP server (message: the product's words only)."""


def mail_link(smtp: SmtpSettings, *, to: str, link: str, hours: int) -> None:
    """Send the verification link; :class:`MailError` naming the server and the error class."""
    if smtp.host is None:
        raise MailError("no SMTP server is configured (smtp.host)")
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = to
    message["Subject"] = "Please confirm your objection to advertising use"
    message.set_content(
        "We received a request to stop using this address for advertising.\n\n"
        "If you made it, open this link to confirm that this mailbox is yours:\n\n"
        f"{link}\n\n"
        f"The link works once and expires in {hours} hours. If you did not ask, ignore this mail:"
        " the address stays excluded from advertising either way.\n"
    )
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as server:
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
            if smtp.username and smtp.password:
                server.login(smtp.username, smtp.password.get_secret_value())
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(
            f"the SMTP server {smtp.host}:{smtp.port} refused the mail ({type(error).__name__})"
        ) from None
