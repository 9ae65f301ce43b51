"""Data minimisation (GDPR Art. 5(1)(c)): how much of an address Lawful keeps."""

from __future__ import annotations

import ipaddress


def truncate_ip(address: str | None) -> str | None:
    """An IPv4 address cut to its /24, an IPv6 one to its /48: enough to show where a choice
    came from, not which device (data minimisation, GDPR Art. 5(1)(c))."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
