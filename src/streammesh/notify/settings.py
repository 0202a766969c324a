"""``NotifySettings``: where e-mail goes out, how often deliveries are retried, and which
consumer group shares the work; read from the ``notifications`` section of ``mesh.yaml``::

    notifications:
      smtp_host: mail.example.com
      smtp_port: 587
      sender: streammesh@example.com
      starttls: true
      max_attempts: 5
      backoff: 2s          # first retry; doubles per attempt up to backoff_max
      backoff_max: 10m
      webhooks:
        allow: ["127.0.0.1:8099", "hooks.internal.example"]   # see notify/targets.py

Webhooks go only to public addresses unless ``webhooks.allow`` names the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from streammesh.audit import MESH_EVENTS_TOPIC
from streammesh.bounded_yaml import load_yaml
from streammesh.config import CONFIG_FILE
from streammesh.errors import ConfigError
from streammesh.notify.targets import AllowedTarget, WebhookTargets
from streammesh.products import Duration

DEFAULT_GROUP = "streammesh-notify"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """The SMTP server e-mail notifications are sent through (``smtplib``)."""

    host: str
    port: int = 25
    sender: str = "streammesh@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """How the notifier delivers.

    Attributes:
        smtp: The SMTP server; ``None``: e-mail deliveries fail (and end as dead letters).
        max_attempts: Attempts of one delivery before it becomes a dead letter.
        backoff: Wait before the first retry; doubled per failed attempt.
        backoff_max: The longest wait between attempts.
        webhook_timeout_s: How long a webhook receiver may take to answer.
        webhook_targets: Which webhook URLs may be called (public addresses, and what the
            admin allowed).
        claim_lease: How long a claimed delivery is left to the replica that claimed it
            before another one may try it (a replica that died mid-delivery).
        group: The consumer group on ``_mesh.events``: replicas in one group share the work.
        topic: The mesh events topic.
    """

    smtp: SmtpSettings | None = None
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=2)
    backoff_max: timedelta = timedelta(minutes=10)
    webhook_timeout_s: float = 10.0
    webhook_targets: WebhookTargets = field(default_factory=WebhookTargets)
    claim_lease: timedelta = timedelta(minutes=1)
    group: str = DEFAULT_GROUP
    topic: str = MESH_EVENTS_TOPIC

    def delay_after(self, attempts: int) -> timedelta:
        """The wait before the next attempt after ``attempts`` failed ones (exponential)."""
        wait: timedelta = self.backoff * (2 ** max(attempts - 1, 0))
        return min(wait, self.backoff_max)


class _Webhooks(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    allow: list[str] = Field(default_factory=list, max_length=1000)

    @field_validator("allow")
    @classmethod
    def _entries(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            AllowedTarget.parse(entry)  # a ValueError names the bad entry
        return entries


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    sender: str = "streammesh@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    max_attempts: int = Field(default=5, ge=1, le=100)
    backoff: Duration = timedelta(seconds=2)
    backoff_max: Duration = timedelta(minutes=10)
    webhook_timeout: Duration = timedelta(seconds=10)
    webhooks: _Webhooks = _Webhooks()


def load_notify_settings(home: Path) -> NotifySettings:
    """The ``notifications`` section of ``<home>/mesh.yaml`` (defaults when absent).

    Raises:
        ConfigError: the section has unknown or invalid settings.
    """
    path = home / CONFIG_FILE
    raw: Any = None
    if path.is_file():
        try:
            raw = load_yaml(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path} is not valid YAML ({exc}); fix it") from exc
    section = raw.get("notifications") if isinstance(raw, dict) else None
    try:
        parsed = _Section.model_validate(section or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"'notifications' in {path} is invalid ({problems}); fix it") from exc
    smtp = (
        SmtpSettings(
            parsed.smtp_host,
            parsed.smtp_port,
            parsed.sender,
            parsed.starttls,
            parsed.username,
            parsed.password,
        )
        if parsed.smtp_host
        else None
    )
    return NotifySettings(
        smtp=smtp,
        max_attempts=parsed.max_attempts,
        backoff=parsed.backoff,
        backoff_max=parsed.backoff_max,
        webhook_timeout_s=parsed.webhook_timeout.total_seconds(),
        webhook_targets=WebhookTargets(
            tuple(AllowedTarget.parse(entry) for entry in parsed.webhooks.allow)
        ),
    )
