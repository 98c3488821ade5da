"""Configurations that work but are weak: `consentkit check` reports them, start-up does not refuse them."""

from __future__ import annotations

from consentkit.config import ConsentConfig


def config_warnings(cfg: ConsentConfig) -> list[str]:
    """One line per weakness, starting with the key to change."""
    out: list[str] = []
    for network in cfg.trusted_proxies:
        if network.prefixlen == 0:
            out.append(
                f"trusted_proxies: {network} trusts every peer, so every visitor can write the address "
                "that is stored; list only your proxies' networks"
            )
    return out
