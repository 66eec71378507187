"""Notification channels: the shapes the outbox delivers through.

This file holds only the interface agreed with the channels feature (``Message``,
``DeliveryError``, ``Channel``, ``load_channels``), so that automation can be built and tested
against it; the channels feature supplies the concrete channel types (DingTalk, WeCom, Feishu,
Slack, webhook) and replaces this module as a whole.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from .errors import GoldsieveError


@dataclass(frozen=True)
class Message:
    event: str
    text: str
    deal: dict
    funnel: str
    at: str
    key: str
    url: str | None = None
    mentions: tuple[str, ...] = ()


class ChannelConfigError(GoldsieveError):
    """A ``[channels.NAME]`` table of goldsieve.toml is unusable."""


class DeliveryError(Exception):
    """A delivery failed; ``retryable`` is False when retrying cannot help (bad configuration)."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


class Channel:
    """One configured ``[channels.NAME]``."""

    type: ClassVar[str]

    def __init__(self, name: str, config: dict) -> None:
        self.name = name
        self.config = config

    def request(self, message: Message, now: datetime) -> tuple[str, bytes, dict[str, str]]:
        raise NotImplementedError

    def send(self, message: Message, *, timeout: float = 10.0) -> None:
        raise NotImplementedError


def load_channels(pm: Any, config: dict) -> dict[str, Channel]:
    """The configured channels by name; none can be built before channel types exist."""
    configured = config.get("channels") or {}
    if configured:
        raise ChannelConfigError(
            f"[channels.{next(iter(configured))}]: no channel types are installed")
    return {}
