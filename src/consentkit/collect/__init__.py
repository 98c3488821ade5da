"""Turning untrusted request headers into the visitor data a site may record."""

from .bots import BOT_PATTERNS, is_known_bot
from .geo import GeoDatabaseError, GeoInfo, GeoLookup
from .ip import client_ip, mask_ip
from .language import primary_language
from .referrer import Campaign, ReferrerInfo, parse_campaign, parse_referrer
from .salt import DailySalt, MemorySaltStore, SaltStore
from .useragent import UserAgentInfo, parse_user_agent, set_cache_size

__all__ = [
    "BOT_PATTERNS",
    "Campaign",
    "DailySalt",
    "GeoDatabaseError",
    "GeoInfo",
    "GeoLookup",
    "MemorySaltStore",
    "ReferrerInfo",
    "SaltStore",
    "UserAgentInfo",
    "client_ip",
    "is_known_bot",
    "mask_ip",
    "parse_campaign",
    "parse_referrer",
    "parse_user_agent",
    "primary_language",
    "set_cache_size",
]
