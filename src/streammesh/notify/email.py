"""E-mail delivery over SMTP (``smtplib``), one connection per message: notifications are
rare enough that a pooled SMTP session is not worth its failure modes."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from streammesh.notify.errors import DeliveryAttemptFailed
from streammesh.notify.settings import SmtpSettings


class EmailSender:
    """Sends plain-text notification e-mail through one SMTP server (or fails every
    attempt when none is configured, so the deliveries end in the dead-letter list)."""

    def __init__(self, settings: SmtpSettings | None) -> None:
        self._settings = settings

    def send(self, to: str, subject: str, body: str, *, delivery_id: str) -> None:
        """Send one message.

        Raises:
            DeliveryAttemptFailed: no SMTP server configured, or it refused or did not answer.
        """
        settings = self._settings
        if settings is None:
            raise DeliveryAttemptFailed(
                "email", to, "no SMTP server is configured (mesh.yaml 'notifications.smtp_host')"
            )
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["X-Streammesh-Delivery"] = delivery_id
        message.set_content(body)
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
                if settings.starttls:
                    smtp.starttls()
                if settings.username and settings.password:
                    smtp.login(settings.username, settings.password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryAttemptFailed("email", to, f"{type(exc).__name__}: {exc}") from exc
