"""``WebhookTargets``: which URLs the notifier may POST to (server-side request forgery guard).

A webhook URL is chosen by whoever subscribes, and the notifier POSTs from inside the
network, so an unchecked URL lets any token make the server call its own admin ports, the
cloud metadata service (``169.254.169.254``) or hosts on the private network. A target is
refused unless every address it resolves to is a public unicast address, or an admin allowed
it in ``mesh.yaml``::

    notifications:
      webhooks:
        allow: ["127.0.0.1:8099", "hooks.internal.example"]

An entry is a host (any port) or ``host:port`` (``[::1]:8099`` for IPv6); a host entry
matches the URL's host name as written, an address entry also matches a name that resolves to
it. The check runs when a subscription is created and again before every delivery, after
resolving the name; the connection then goes to the address that was checked (the name is
not resolved a second time, so a rebinding DNS answer cannot swap it), and redirects are not
followed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from streammesh.notify.errors import WebhookTargetRefused

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses``: the system resolver (``getaddrinfo``) by default."""

_DEFAULT_PORTS = {"http": 80, "https": 443}


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``getaddrinfo`` gives for ``host`` (TCP), in its order, without repeats.

    Raises:
        OSError: The name does not resolve.
    """
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


@dataclass(frozen=True, slots=True)
class AllowedTarget:
    """One ``notifications.webhooks.allow`` entry: a host, and a port or any port."""

    host: str
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> AllowedTarget:
        """Read ``host``, ``host:port``, ``[v6]`` or ``[v6]:port``.

        Raises:
            ValueError: An empty entry, a URL, or a port that is not 1-65535.
        """
        text = entry.strip().lower()
        if not text or "/" in text or any(c.isspace() for c in text):
            raise ValueError(f"{entry!r} is not a host or host:port (no scheme, no path)")
        host, port = text, None
        if text.startswith("["):
            inside, _, rest = text[1:].partition("]")
            host = inside
            if rest:
                if not rest.startswith(":"):
                    raise ValueError(f"{entry!r} is not [address] or [address]:port")
                port = _port(entry, rest[1:])
        elif text.count(":") == 1:
            host, raw_port = text.split(":")
            port = _port(entry, raw_port)
        if not host:
            raise ValueError(f"{entry!r} names no host")
        return cls(host, port)

    def matches(self, host: str, port: int) -> bool:
        """Whether a target ``host`` (a name or an address) on ``port`` is this entry's."""
        return host.lower() == self.host and self.port in (None, port)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class PinnedTarget:
    """A checked webhook URL and the address the connection must go to."""

    url: str
    host: str
    address: str
    """The resolved address that was checked; connect here, not to a fresh lookup."""


@dataclass(frozen=True, slots=True)
class WebhookTargets:
    """The webhook target rule of one mesh.

    Example:
        >>> targets = WebhookTargets((AllowedTarget.parse("127.0.0.1:8099"),))
        >>> targets.check("http://127.0.0.1:8099/hooks")  # allowed by the admin
        >>> targets.check("http://169.254.169.254/latest/meta-data")
        Traceback (most recent call last):
        WebhookTargetRefused: ...
    """

    allow: tuple[AllowedTarget, ...] = ()
    resolver: Resolver = field(default=system_resolver, compare=False)

    def check(self, url: str) -> None:
        """The check when a subscription is created: the URL's scheme and its host's
        addresses. A name that does not resolve now is accepted (delivery checks again).

        Raises:
            WebhookTargetRefused: Not http(s), or a non-public address not allowed.
        """
        host, port = _host_port(url)
        if self._allowed_name(host, port):
            return
        try:
            self._addresses(url, host, port)
        except _Unresolved:
            return

    def pin(self, url: str) -> PinnedTarget:
        """The check before a delivery: resolve the host now and return the address the
        connection must use.

        Raises:
            WebhookTargetRefused: Not http(s), a name that does not resolve, or a
                non-public address not allowed.
        """
        host, port = _host_port(url)
        try:
            addresses = self._addresses(url, host, port)
        except _Unresolved as exc:
            reason = f"the name does not resolve ({exc})"
            raise WebhookTargetRefused(url, host, None, reason) from None
        return PinnedTarget(url, host, addresses[0])

    def _allowed_name(self, host: str, port: int) -> bool:
        return any(entry.matches(host, port) for entry in self.allow)

    def _addresses(self, url: str, host: str, port: int) -> list[str]:
        literal = _ip(host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = list(self.resolver(host, port))
            except (OSError, UnicodeError) as exc:
                raise _Unresolved(str(exc)) from exc
            if not addresses:
                raise _Unresolved("no address")
        if self._allowed_name(host, port):
            return addresses
        for address in addresses:
            parsed = _ip(address)
            problem = "not an IP address" if parsed is None else _non_public(parsed)
            if problem is not None and not self._allowed_name(address, port):
                raise WebhookTargetRefused(url, host, address, problem)
        return addresses


class _Unresolved(Exception):
    """The host name did not resolve (private: creation accepts it, delivery refuses)."""


def _port(entry: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(f"{entry!r} has port {raw!r}; give a number from 1 to 65535")
    return int(raw)


def _host_port(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookTargetRefused(url, "", None, f"it is not a valid URL ({exc})") from None
    if parts.scheme not in _DEFAULT_PORTS:
        raise WebhookTargetRefused(url, parts.hostname or "", None, "only http and https go out")
    if not parts.hostname:
        raise WebhookTargetRefused(url, "", None, "it names no host")
    return parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme]


def _ip(text: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
    except ValueError:
        return None


def _non_public(address: IpAddress) -> str | None:
    """Why the notifier may not call ``address`` on its own say, or ``None``."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, hit in (
        ("a loopback address", address.is_loopback),
        ("a link-local address (cloud metadata lives there)", address.is_link_local),
        ("the unspecified address", address.is_unspecified),
        ("a multicast address", address.is_multicast),
        ("a private-network address", address.is_private),
        ("a reserved address", address.is_reserved),
    ):
        if hit:
            return kind
    if not address.is_global:
        return "not a public address"
    return None
