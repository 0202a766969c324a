"""Webhook delivery: a signed JSON POST.

The body is the notification's JSON; ``X-Streammesh-Signature: sha256=<hex>`` is the
HMAC-SHA256 of the exact body bytes with the subscription's secret, so a receiver proves the
sender knew the secret and that the body was not changed (compare with
``hmac.compare_digest``). ``X-Streammesh-Delivery`` is stable across retries of one delivery,
so a receiver can drop a retry it already processed.

Before each attempt the URL's host is resolved and checked (``WebhookTargets.pin``) and the
connection goes to the checked address (the ``Host`` header and TLS server name stay the
URL's), so neither a changed DNS answer nor a redirect can point the POST elsewhere:
redirects are never followed, a 3xx answer is a failed attempt.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

from streammesh.notify.errors import DeliveryAttemptFailed, WebhookTargetRefused
from streammesh.notify.targets import WebhookTargets

SIGNATURE_HEADER = "X-Streammesh-Signature"
EVENT_HEADER = "X-Streammesh-Event"
DELIVERY_HEADER = "X-Streammesh-Delivery"


def sign(body: bytes, secret: str) -> str:
    """The ``X-Streammesh-Signature`` value of ``body``: ``sha256=<hex HMAC-SHA256>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookSender:
    """POSTs notifications to webhook URLs (one connection pool, reused)."""

    def __init__(self, timeout_s: float, targets: WebhookTargets | None = None) -> None:
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)
        self._targets = targets or WebhookTargets()

    def send(
        self, url: str, body: bytes, *, secret: str | None, event_type: str, delivery_id: str
    ) -> None:
        """POST ``body``; any 2xx answer is a delivery.

        Raises:
            DeliveryAttemptFailed: a target the mesh does not call, no answer, or a status
                other than 2xx (a redirect included: it is not followed).
        """
        try:
            pinned = self._targets.pin(url)
        except WebhookTargetRefused as exc:
            raise DeliveryAttemptFailed("webhook", url, f"refused: {exc.problem}") from exc
        target = httpx.URL(url)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "streammesh-notify",
            EVENT_HEADER: event_type,
            DELIVERY_HEADER: delivery_id,
        }
        if secret:
            headers[SIGNATURE_HEADER] = sign(body, secret)
        try:
            request = self._client.build_request(
                "POST",
                target.copy_with(host=pinned.address),
                content=body,
                headers={"Host": target.netloc.decode("ascii"), **headers},
                extensions={"sni_hostname": pinned.host} if target.scheme == "https" else None,
            )
            answer = self._client.send(request)
        except httpx.HTTPError as exc:
            raise DeliveryAttemptFailed("webhook", url, f"{type(exc).__name__}: {exc}") from exc
        if 300 <= answer.status_code < 400:
            raise DeliveryAttemptFailed(
                "webhook", url, f"HTTP {answer.status_code}: redirects are not followed"
            )
        if not answer.is_success:
            raise DeliveryAttemptFailed("webhook", url, f"HTTP {answer.status_code}")

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
