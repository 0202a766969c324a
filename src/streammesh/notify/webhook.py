"""Webhook delivery: a signed JSON POST.

The body is the notification's JSON; ``X-Streammesh-Signature: sha256=<hex>`` is the
HMAC-SHA256 of the exact body bytes with the subscription's secret, so a receiver proves the
sender knew the secret and that the body was not changed (compare with
``hmac.compare_digest``). ``X-Streammesh-Delivery`` is stable across retries of one delivery,
so a receiver can drop a retry it already processed.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

from streammesh.notify.errors import DeliveryAttemptFailed

SIGNATURE_HEADER = "X-Streammesh-Signature"
EVENT_HEADER = "X-Streammesh-Event"
DELIVERY_HEADER = "X-Streammesh-Delivery"


def sign(body: bytes, secret: str) -> str:
    """The ``X-Streammesh-Signature`` value of ``body``: ``sha256=<hex HMAC-SHA256>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookSender:
    """POSTs notifications to webhook URLs (one connection pool, reused)."""

    def __init__(self, timeout_s: float) -> None:
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def send(
        self, url: str, body: bytes, *, secret: str | None, event_type: str, delivery_id: str
    ) -> None:
        """POST ``body``; any 2xx answer is a delivery.

        Raises:
            DeliveryAttemptFailed: no answer, or a status other than 2xx.
        """
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "streammesh-notify",
            EVENT_HEADER: event_type,
            DELIVERY_HEADER: delivery_id,
        }
        if secret:
            headers[SIGNATURE_HEADER] = sign(body, secret)
        try:
            answer = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryAttemptFailed("webhook", url, f"{type(exc).__name__}: {exc}") from exc
        if not answer.is_success:
            raise DeliveryAttemptFailed("webhook", url, f"HTTP {answer.status_code}")

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
