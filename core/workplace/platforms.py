"""Which client serves which platform, and the clients of a workspace's configured platforms."""
from __future__ import annotations

from ..clock import Clock, utc_now
from ..store import Store
from .client import PlatformClient
from .config import PlatformSettings
from .dingtalk import DingTalk
from .feishu import Feishu
from .wecom import WeCom

CLIENTS: dict[str, type[PlatformClient]] = {cls.platform: cls for cls in (DingTalk, WeCom, Feishu)}


def open_clients(settings: dict[str, PlatformSettings], store: Store,
                 clock: Clock = utc_now) -> dict[str, PlatformClient]:
    """One client per configured platform, sharing the store's token cache."""
    return {name: CLIENTS[name](each, store, clock) for name, each in settings.items()}
