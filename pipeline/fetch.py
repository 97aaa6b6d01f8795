"""Fetch raw bytes from files, http(s) URLs and RSS/Atom feeds.

Every fetch returns :class:`Fetched` records: the exact bytes plus the
metadata a snapshot and a :class:`schemas.records.SourceRef` need. Errors are
:class:`pipeline.errors.FetchError` (one line naming the source and the
reason); :class:`TransientFetchError` marks the ones worth retrying (5xx,
429, timeouts, dropped connections).

Safety rules for URLs (they also apply to every redirect target and to every
link taken from a feed, since those come from scraped text):

* only ``http`` and ``https``, well-formed (:mod:`pipeline.urls`), without
  credentials written into them (those go in ``fetch.credentials``);
* the host must resolve to public addresses only (no loopback, private,
  link-local, shared, multicast or reserved ranges, nor 6to4, Teredo, NAT64 or
  IPv4-mapped addresses wrapping one), unless the host name or the address is
  on ``FetchOptions.allow_hosts``: scraped links must not steer us into the
  intranet or a cloud metadata endpoint;
* the check and the connection use the same lookup: the transport resolves
  each host once, checks every address and connects to a checked one, so a DNS
  server that answers differently the second time (DNS rebinding) gets nowhere;
* redirects are followed by hand, at most ``max_redirects``, loops refused;
* one deadline (``deadline_s``) bounds the whole fetch of a URL, redirects
  included: every socket wait is cut to the time left, so a server that sends
  its headers one byte at a time cannot hold a run (the DNS lookup itself is
  bounded by the system resolver's own timeout);
* bodies are streamed and decoded here, piece by piece, and refused past
  ``max_bytes`` of decoded bytes (stacked ``gzip, gzip`` bombs included);
* the content type must be in ``allowed_content_types`` (sniffed from the
  first bytes when the server declares none).

Feeds: ``fetch(location, "feed", ...)`` returns a :class:`FeedResult`, a list
of the entries fetched successfully that also carries ``failures`` (one
:class:`FetchError` per entry that could not be fetched) and ``feed`` (the
feed document itself). A failing entry never fails the feed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import email.utils
import functools
import hashlib
import io
import ipaddress
import logging
import mimetypes
import socket
import threading
import time
import xml.sax
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urljoin, urlsplit

import httpcore
import httpx

from pipeline.config import FetchOptions
from pipeline.errors import FetchError
from pipeline.files import read_regular_file
from pipeline.urls import (
    CREDENTIALS_HINT,
    display_url,
    has_credentials,
    normalize_host,
    redact_url,
    syntax_problem,
)

log = logging.getLogger(__name__)

SourceKind = Literal["url", "file", "feed"]

KEPT_HEADERS = ("content-type", "last-modified", "etag", "content-length")
ALLOWED_SCHEMES = ("http", "https")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# 4xx statuses that say "try again later" rather than "this will never work"
TRANSIENT_CLIENT_STATUSES = (408, 425, 429)
# content codings decoded here (and the only ones asked for in Accept-Encoding)
CONTENT_CODINGS = ("gzip", "x-gzip", "deflate")
MAX_CONTENT_CODINGS = 4
# most bytes one decoding step may produce: memory stays bounded however dense the input
DECODE_PIECE = 64 * 1024
# networks whose addresses carry an IPv4 address in their last 32 bits (RFC 6052)
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
ALLOW_HINT = "to allow it, add the host or network to fetch.allow_hosts in the options file"


class TransientFetchError(FetchError):
    """A failure that may go away on retry: 5xx, 429, timeouts, dropped connections."""


class HTTPStatusFetchError(FetchError):
    """The server answered with an error status; ``status`` holds it."""

    def __init__(self, source: str, reason: str, status: int) -> None:
        super().__init__(source, reason)
        self.status = status

    def __reduce__(self) -> tuple[type[HTTPStatusFetchError], tuple[str, str, int]]:
        # picklable across processes (Prefect task results) despite the extra argument
        return (type(self), (self.source, self.reason, self.status))


class TransientHTTPStatusError(HTTPStatusFetchError, TransientFetchError):
    """A 5xx (or 408/425/429) answer: worth retrying."""


@dataclass(frozen=True)
class Fetched:
    """The exact bytes of one source and how they were obtained."""

    location: str
    kind: SourceKind
    data: bytes = field(repr=False)
    final_url: str | None
    status: int | None
    content_type: str | None
    headers: dict[str, str]
    fetched_at: dt.datetime
    sha256: str
    via: str | None = None
    """For a feed entry: the location of the feed it was listed in."""
    listed: dt.date | None = None
    """For a feed entry: the publication date the feed gives it (UTC day), when it gives one."""


@dataclass(frozen=True)
class Known:
    """What an earlier fetch of a location returned, for a conditional GET.

    ``replay`` rebuilds that earlier :class:`Fetched` (from its snapshot) when the
    server answers 304 Not Modified.
    """

    etag: str | None
    last_modified: str | None
    replay: Callable[[], Fetched]

    def headers(self) -> dict[str, str]:
        sent: dict[str, str] = {}
        if self.etag:
            sent["If-None-Match"] = self.etag
        if self.last_modified:
            sent["If-Modified-Since"] = self.last_modified
        return sent


KnownLookup = Callable[[str], "Known | None"]
"""Given a location, what an earlier fetch of it returned (None: fetch unconditionally)."""


class FeedResult(list[Fetched]):
    """Entries of a feed fetched successfully, plus what failed.

    It is a plain list of :class:`Fetched` (so ``for item in fetch(...)``
    works for every kind) with two more attributes:

    * ``feed`` -- the :class:`Fetched` of the feed document itself;
    * ``failures`` -- one :class:`FetchError` per entry that failed, in feed order.
    """

    def __init__(self, feed: Fetched, items: list[Fetched], failures: list[FetchError]) -> None:
        super().__init__(items)
        self.feed = feed
        self.failures = failures


# --------------------------------------------------------------------------- helpers


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _media_type(value: str | None) -> str | None:
    if not value:
        return None
    media = value.split(";", 1)[0].strip().lower()
    return media or None


def sniff_content_type(data: bytes) -> str:
    """Guess a media type from the first bytes (used when none is declared)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:256]:
        return "text/html"
    if head.startswith(b"<?xml") or head.startswith((b"<rss", b"<feed", b"<rdf:rdf")):
        if b"<rss" in head or b"<rdf:rdf" in head:
            return "application/rss+xml"
        if b"<feed" in head:
            return "application/atom+xml"
        if b"<html" in head:
            return "application/xhtml+xml"
        return "application/xml"
    if head.startswith((b"<head", b"<body", b"<div", b"<p>", b"<!--")):
        return "text/html"
    sample = data[:4096]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "application/octet-stream"
    return "text/plain"


def embedded_ipv4(address: str) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries, with the mechanism's name, or None.

    IPv4-mapped (``::ffff:0:0/96``), 6to4 (``2002::/16``), Teredo (``2001::/32``,
    the client address) and NAT64 (``64:ff9b::/96``) addresses all reach an IPv4
    host, so they are judged by that host.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip.teredo is not None:
        return "Teredo", ip.teredo[1]
    if ip in NAT64_PREFIX:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def check_address(address: str) -> str | None:
    """Why ``address`` (an IP literal) must not be fetched, or None when it is public."""
    embedded = embedded_ipv4(address)
    ip = embedded[1] if embedded else ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_private:
        return "private"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified or ip.is_reserved or not ip.is_global:
        return "non-public"
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public addresses may be fetched: ``fetch.allow_hosts`` parsed once."""

    names: frozenset[str] = frozenset()
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

    @classmethod
    def from_options(cls, options: FetchOptions) -> AddressPolicy:
        names: set[str] = set()
        networks = []
        for entry in options.allow_hosts:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                names.add(entry)
        return cls(frozenset(names), tuple(networks))

    def _listed(self, host: str, address: str) -> bool:
        if normalize_host(host) in self.names:
            return True
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        embedded = embedded_ipv4(address)
        candidates = [ip] if embedded is None else [ip, embedded[1]]
        return any(c.version == n.version and c in n for c in candidates for n in self.networks)

    def refusal(self, host: str, address: str) -> str | None:
        """Why ``host`` must not be reached at ``address``, or None when it may."""
        why = check_address(address)
        if why is None or self._listed(host, address):
            return None
        embedded = embedded_ipv4(address)
        wrapped = f" ({embedded[0]} of {embedded[1]})" if embedded else ""
        return f"refused {why} address {address}{wrapped} for host {host} ({ALLOW_HINT})"


class _Refused(Exception):
    """Raised inside the transport; :func:`_fetch_url_once` turns it into a FetchError."""

    def __init__(self, reason: str, *, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


def _resolve(host: str, port: int) -> list[str]:
    """All addresses ``host`` resolves to, in resolver order (IP literals resolve to themselves)."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return [host]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        transient = exc.errno == socket.EAI_AGAIN
        raise _Refused(f"cannot resolve host {host}: {exc}", transient=transient) from exc
    except UnicodeError as exc:
        raise _Refused(f"malformed host name {host[:80]!r}: {exc}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _Clock:
    """The deadline of the fetch in progress; every socket wait is cut to the time left."""

    def __init__(self) -> None:
        self.at: float | None = None

    def start(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def stop(self) -> None:
        self.at = None

    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def bound(self, timeout: float | None, error: type[Exception]) -> float | None:
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise error("fetch deadline passed")
        return left if timeout is None else min(timeout, left)


class _BoundedStream(httpcore.NetworkStream):
    """A socket stream whose every read, write and TLS handshake ends by the deadline."""

    def __init__(self, inner: httpcore.NetworkStream, clock: _Clock) -> None:
        self._inner = inner
        self._clock = clock

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._clock.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._clock.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = self._clock.bound(timeout, httpcore.ConnectTimeout)
        return _BoundedStream(
            self._inner.start_tls(ssl_context, server_hostname, bounded), self._clock
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Resolves a host once, checks every address it gave, and connects to a checked one."""

    def __init__(self, policy: AddressPolicy, clock: _Clock) -> None:
        self._inner = httpcore.SyncBackend()
        self._policy = policy
        self._clock = clock

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _resolve(host, port)
        for address in addresses:
            reason = self._policy.refusal(host, address)
            if reason is not None:
                raise _Refused(reason)
        error: Exception = _Refused(f"no address for host {host}")
        for address in addresses:
            try:
                bounded = self._clock.bound(timeout, httpcore.ConnectTimeout)
                stream = self._inner.connect_tcp(
                    address, port, bounded, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
                continue
            return _BoundedStream(stream, self._clock)
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise _Refused("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _check_url(url: str, source: str, *, redirected: bool) -> None:
    """Refuse malformed URLs, schemes other than http(s) and URLs carrying credentials.

    Addresses are checked when the transport connects (:class:`_PinnedBackend`).
    A redirect target is named in the reason; the source's own URL already is.
    """
    where = f" (redirect to {display_url(url, 200)})" if redirected else ""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ALLOWED_SCHEMES:
        raise FetchError(source, f"refused URL scheme {scheme[:20] or '(none)'!r}{where}")
    problem = syntax_problem(url)
    if problem is not None:
        raise FetchError(source, f"{problem}{where}")
    if has_credentials(url):
        raise FetchError(
            source, f"refused URL with a user name or password{where}: {CREDENTIALS_HINT}"
        )


class HostGate:
    """Per-host politeness shared by every fetch in the process (threads included): at most
    ``per_host_concurrency`` requests in flight to one host, request starts at least
    ``per_host_delay`` seconds apart, and none before a ``Retry-After`` the host gave."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._lock = threading.Lock()
        self._slots: dict[tuple[str, int], threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}
        self._sleep = sleep

    @staticmethod
    def _host(url: str) -> str:
        try:
            netloc = urlsplit(url.strip()).netloc
        except ValueError:  # malformed: its fetch fails with its own reason
            return url
        return netloc.rsplit("@", 1)[-1].lower()  # host[:port], never credentials

    @contextlib.contextmanager
    def slot(self, url: str, options: FetchOptions) -> Iterator[None]:
        host = self._host(url)
        with self._lock:
            key = (host, options.per_host_concurrency)
            semaphore = self._slots.setdefault(
                key, threading.BoundedSemaphore(options.per_host_concurrency)
            )
        with semaphore:
            while True:
                with self._lock:
                    now = time.monotonic()
                    start = self._next_start.get(host, now)
                    if start <= now:
                        self._next_start[host] = now + options.per_host_delay
                        break
                self._sleep(min(start - now, 1.0))
            yield

    def back_off(self, url: str, seconds: float) -> None:
        host = self._host(url)
        with self._lock:
            until = time.monotonic() + seconds
            self._next_start[host] = max(self._next_start.get(host, 0.0), until)


HOSTS = HostGate()


def retry_after(value: str | None, options: FetchOptions) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), capped at
    ``options.max_retry_after``; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - _now()).total_seconds()
    return max(0.0, min(seconds, options.max_retry_after))


def _kept_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: headers[name] for name in KEPT_HEADERS if name in headers}


# --------------------------------------------------------------------------- files


def _file_path(location: str, base_dir: Path | None) -> Path:
    if location.startswith("file://"):
        path = Path(unquote(urlsplit(location).path))
    else:
        path = Path(location).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def fetch_file(location: str, options: FetchOptions, *, base_dir: Path | None = None) -> Fetched:
    """Read a local file (relative paths are taken from ``base_dir`` when given)."""
    path = _file_path(location, base_dir)
    # regular files only (a FIFO or /dev/zero would hang or grow), capped while reading
    data = read_regular_file(path, max_bytes=options.max_bytes, source=location)
    guessed, _ = mimetypes.guess_type(path.name)
    content_type = guessed or sniff_content_type(data)
    return Fetched(
        location=location,
        kind="file",
        data=data,
        final_url=None,
        status=None,
        content_type=content_type,
        headers={},
        fetched_at=_now(),
        sha256=_sha256(data),
    )


# --------------------------------------------------------------------------- URLs


class _PinnedTransport(httpx.HTTPTransport):
    """httpx's transport over :class:`_PinnedBackend`.

    ``HTTPTransport`` takes no network backend, so its connection pool is made
    again with ours (the DNS-rebinding test in ``tests/test_fault_injection.py``
    fails if an httpx release stops using it).
    """

    def __init__(self, backend: _PinnedBackend) -> None:
        context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=backend)


class _Session:
    """An httpx client whose connections are pinned and bounded by one deadline clock."""

    def __init__(self, options: FetchOptions) -> None:
        self.clock = _Clock()
        backend = _PinnedBackend(AddressPolicy.from_options(options), self.clock)
        self.client = httpx.Client(
            transport=_PinnedTransport(backend),
            follow_redirects=False,
            timeout=httpx.Timeout(options.timeout),
            headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate"},
            # never pick up proxies or .netrc from the environment
            trust_env=False,
        )

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()


class _Inflater:
    """One gzip or deflate layer that yields at most :data:`DECODE_PIECE` bytes per step."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        # deflate is zlib-wrapped by the standard, raw by some servers: tried in that order
        self._raw_fallback = coding == "deflate"
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding != "deflate" else 15)

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while not self._obj.eof:
            try:
                out = self._obj.decompress(pending, DECODE_PIECE)
            except zlib.error:
                if not self._raw_fallback:
                    raise
                self._raw_fallback = False
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            if out:
                self._raw_fallback = False
                yield out
            pending = self._obj.unconsumed_tail
            # a full piece may leave output inside zlib: ask again even without input
            if not pending and len(out) < DECODE_PIECE:
                return

    def flush(self) -> bytes:
        return self._obj.flush() if not self._obj.eof else b""


class _BodyDecoder:
    """Undoes the response's content codings as the raw bytes stream in."""

    def __init__(self, header: str | None, source: str) -> None:
        self.header = (header or "")[:100]  # as shown in messages: the server's text
        codings = [c.strip().lower() for c in (header or "").split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > MAX_CONTENT_CODINGS:
            raise FetchError(
                source, f"refused {len(codings)} stacked content codings ({self.header})"
            )
        for coding in codings:
            if coding not in CONTENT_CODINGS:
                raise FetchError(
                    source,
                    f"refused content encoding {coding[:40]!r} (gzip and deflate are decoded)",
                )
        # applied first is decoded last
        self.layers = [_Inflater(coding) for coding in reversed(codings)]

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, data)

    def flush(self) -> Iterator[bytes]:
        for index, layer in enumerate(self.layers):
            tail = layer.flush()
            if tail:
                yield from self._through(index + 1, tail)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self.layers):
            yield data
            return
        for piece in self.layers[index].feed(data):
            yield from self._through(index + 1, piece)


def _deadline_reason(options: FetchOptions) -> str:
    return (
        f"no complete answer within the fetch deadline of {options.deadline_s:g} s "
        "(fetch.deadline_s)"
    )


def _read_body(
    response: httpx.Response, source: str, options: FetchOptions, clock: _Clock
) -> bytes:
    """The decoded body, refused as soon as more than ``max_bytes`` come out of the decoder."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > options.max_bytes:
        raise FetchError(
            source, f"body larger than {options.max_bytes} bytes (declared {declared})"
        )
    decoder = _BodyDecoder(response.headers.get("content-encoding"), source)
    encoded = f" (decoded from {decoder.header})" if decoder.layers else ""
    chunks: list[bytes] = []
    total = raw_total = 0

    def keep(pieces: Iterator[bytes]) -> None:
        nonlocal total
        for piece in pieces:
            total += len(piece)
            if total > options.max_bytes:
                raise FetchError(source, f"body larger than {options.max_bytes} bytes{encoded}")
            chunks.append(piece)

    try:
        for raw in response.iter_raw():
            raw_total += len(raw)
            if raw_total > options.max_bytes:
                raise FetchError(source, f"body larger than {options.max_bytes} bytes")
            keep(decoder.feed(raw))
            if clock.expired():
                raise TransientFetchError(source, _deadline_reason(options))
        keep(decoder.flush())
    except zlib.error as exc:
        raise FetchError(source, f"cannot decode the body ({decoder.header}): {exc}") from exc
    return b"".join(chunks)


def _check_content_type(
    declared: str | None, data_head: bytes, source: str, options: FetchOptions
) -> str:
    media = _media_type(declared) or sniff_content_type(data_head)
    allowed = {t.lower() for t in options.allowed_content_types}
    if media not in allowed:
        raise FetchError(source, f"refused content type {media}")
    return media


def _credentials(url: str, options: FetchOptions) -> httpx.BasicAuth | None:
    """Basic auth for the URL's host when ``fetch.credentials`` names it (that host only)."""
    creds = options.credentials.get(normalize_host(urlsplit(url).hostname or ""))
    if creds is None or creds.password is None:
        return None
    return httpx.BasicAuth(creds.username, creds.password.get_secret_value())


def _redirect_target(url: str, target: str, source: str) -> str:
    try:
        return urljoin(url, target.strip())
    except ValueError as exc:
        raise FetchError(source, f"malformed redirect target from {url}: {exc}") from exc


def _fetch_url_once(
    session: _Session,
    location: str,
    options: FetchOptions,
    *,
    kind: SourceKind = "url",
    via: str | None = None,
    known: KnownLookup | None = None,
) -> Fetched:
    source = display_url(location)
    earlier = known(location) if known is not None else None
    # politeness waits happen before the fetch's own deadline starts
    with HOSTS.slot(location, options):
        session.clock.start(options.deadline_s)
        try:
            return _follow(session, location, source, options, kind=kind, via=via, earlier=earlier)
        except _Refused as exc:
            error = TransientFetchError if exc.transient else FetchError
            raise error(source, exc.reason) from exc
        except httpx.TimeoutException as exc:
            if session.clock.expired():
                raise TransientFetchError(source, _deadline_reason(options)) from exc
            raise TransientFetchError(
                source, f"timed out after {options.timeout:g} s ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise TransientFetchError(source, f"{type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(source, f"{type(exc).__name__}: {exc}") from exc
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise FetchError(source, f"malformed URL: {exc}") from exc
        finally:
            session.clock.stop()


def _follow(
    session: _Session,
    location: str,
    source: str,
    options: FetchOptions,
    *,
    kind: SourceKind,
    via: str | None,
    earlier: Known | None = None,
) -> Fetched:
    """Request ``location``, following redirects by hand under the safety rules.

    With ``earlier`` (what a past fetch of ``location`` returned), the request is
    conditional and a 304 answer replays the earlier bytes with ``status`` 304."""
    url = location.strip()
    seen: set[str] = set()
    hops = 0
    while True:
        _check_url(url, source, redirected=hops > 0)
        seen.add(url)
        auth = _credentials(url, options)
        # validators apply to the location as requested, not to a redirect target
        conditional = earlier.headers() if earlier is not None and hops == 0 else {}
        with session.client.stream("GET", url, auth=auth, headers=conditional) as response:
            status = response.status_code
            if status == 304 and earlier is not None and conditional:
                # unchanged: the earlier bytes, from their snapshot; no body transferred
                log.debug("not modified", extra={"source": source})
                return dataclasses.replace(
                    earlier.replay(), fetched_at=_now(), status=304, kind=kind, via=via
                )
            if status in REDIRECT_STATUSES:
                target = response.headers.get("location")
                if not target:
                    raise HTTPStatusFetchError(
                        source, f"HTTP {status} redirect without Location from {url}", status
                    )
                next_url = _redirect_target(url, target, source)
                if next_url in seen:
                    raise FetchError(source, f"redirect loop at {next_url}")
                hops += 1
                if hops > options.max_redirects:
                    raise FetchError(
                        source, f"too many redirects (more than {options.max_redirects})"
                    )
                log.debug("redirect", extra={"source": source, "to": redact_url(next_url)})
                url = next_url
                continue
            if status >= 400:
                reason = f"HTTP {status} {response.reason_phrase} from {url}".strip()
                if status >= 500 or status in TRANSIENT_CLIENT_STATUSES:
                    wait = retry_after(response.headers.get("retry-after"), options)
                    if wait:  # the host asked for a pause: every request to it waits
                        HOSTS.back_off(url, wait)
                        reason += f" (Retry-After {wait:g} s)"
                    raise TransientHTTPStatusError(source, reason, status)
                raise HTTPStatusFetchError(source, reason, status)
            declared = response.headers.get("content-type")
            if _media_type(declared) is not None:
                # refuse a wrong declared type before reading the body
                _check_content_type(declared, b"", source, options)
            data = _read_body(response, source, options, session.clock)
            content_type = _check_content_type(declared, data[:4096], source, options)
            return Fetched(
                location=location,
                kind=kind,
                data=data,
                final_url=str(response.url),
                status=status,
                content_type=content_type,
                headers=_kept_headers(response.headers),
                fetched_at=_now(),
                sha256=_sha256(data),
                via=via,
            )


def fetch_url(location: str, options: FetchOptions, *, known: KnownLookup | None = None) -> Fetched:
    """Fetch one http(s) URL under the safety rules in the module docstring.

    With ``known``, a location fetched before is asked for conditionally (ETag /
    Last-Modified); a 304 answer gives the earlier bytes with ``status`` 304.
    """
    with _Session(options) as session:
        return _fetch_url_once(session, location, options, known=known)


# --------------------------------------------------------------------------- feeds


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed: its page and the date the feed publishes it under."""

    link: str
    published: dt.date | None = None


def feed_links(data: bytes, source: str, base_url: str | None = None) -> list[str]:
    """Entry links of an RSS 0.9x/1.0/2.0 or Atom feed, in feed order, without duplicates."""
    return [entry.link for entry in feed_entries(data, source, base_url)]


def feed_entries(data: bytes, source: str, base_url: str | None = None) -> list[FeedEntry]:
    """Entries of an RSS 0.9x/1.0/2.0 or Atom feed, in feed order, one per link.

    Parsed by feedparser. Feeds that declare a DOCTYPE or entities are refused first (no
    entity expansion, no external resources), and feedparser only ever sees the bytes
    (never a string it could take for a URL or a path). Relative links are resolved against
    ``base_url`` (a malformed link is kept as written). An entry's date is its published
    date, else its updated date, as feedparser normalises them to UTC; none when the feed
    gives neither or gives one it cannot read.
    """
    import feedparser  # a second or so of imports, only for feeds

    head = data[:65536].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise FetchError(source, "feed declares a DOCTYPE or entities; refused")
    # no base given to feedparser: it drops links it cannot resolve, and a malformed link
    # must stay, so that its fetch fails with its own reason; we resolve with _join below
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False)
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException):
        raise FetchError(source, f"feed is not well-formed XML: {problem}")
    if not parsed.get("version"):
        raise FetchError(source, "not an RSS or Atom feed")
    entries: dict[str, FeedEntry] = {}
    for entry in parsed.entries:
        link = _entry_link(entry)
        if link is None:
            log.warning("feed entry without link", extra={"source": source})
            continue
        if base_url:
            link = _join(base_url, link)
        if link not in entries:
            entries[link] = FeedEntry(link, _entry_date(entry))
    return list(entries.values())


def _entry_date(entry: Mapping[str, Any]) -> dt.date | None:
    """The entry's published (else updated) day, from feedparser's UTC struct_time."""
    for key in ("published_parsed", "updated_parsed"):
        stamp = entry.get(key)
        if stamp is None:
            continue
        try:
            return dt.date(stamp.tm_year, stamp.tm_mon, stamp.tm_mday)
        except (AttributeError, ValueError):
            continue
    return None


def _join(base_url: str, link: str) -> str:
    """``link`` resolved against the feed's URL; a malformed one is kept as written, and
    its fetch then fails with its own reason while the other entries go on."""
    try:
        return urljoin(base_url, link)
    except ValueError:
        return link


def _entry_link(entry: Mapping[str, Any]) -> str | None:
    """The entry's page: its alternate link, else any link, else a permalink guid."""
    links = [ln for ln in entry.get("links") or [] if (ln.get("href") or "").strip()]
    for link in links:
        if link.get("rel", "alternate") == "alternate":
            return str(link["href"]).strip()
    if links:
        return str(links[0]["href"]).strip()
    if entry.get("guidislink") and str(entry.get("id") or "").startswith(ALLOWED_SCHEMES):
        return str(entry["id"]).strip()
    return None


def _fetch_feed(
    location: str,
    options: FetchOptions,
    *,
    base_dir: Path | None,
    attempt: Callable[[Callable[[], Fetched]], Fetched],
    known: KnownLookup | None = None,
) -> FeedResult:
    is_url = location.strip().split(":", 1)[0].lower() in ALLOWED_SCHEMES
    with _Session(options) as session:
        if is_url:
            feed = attempt(
                lambda: _fetch_url_once(session, location, options, kind="feed", known=known)
            )
        else:
            local = fetch_file(location, options, base_dir=base_dir)
            feed = dataclasses.replace(local, kind="feed")
        entries = feed_entries(feed.data, location, feed.final_url)
        if len(entries) > options.max_feed_items:
            log.info(
                "feed truncated",
                extra={"source": location, "entries": len(entries), "kept": options.max_feed_items},
            )
        items: list[Fetched] = []
        failures: list[FetchError] = []
        for entry in entries[: options.max_feed_items]:
            try:
                call = functools.partial(
                    _fetch_url_once,
                    session,
                    entry.link,
                    options,
                    kind="url",
                    via=location,
                    known=known,
                )
                items.append(dataclasses.replace(attempt(call), listed=entry.published))
            except FetchError as exc:
                log.warning("feed entry failed: %s", exc, extra={"source": location})
                failures.append(exc)
    return FeedResult(feed, items, failures)


# --------------------------------------------------------------------------- entry points


def _once(call: Callable[[], Fetched]) -> Fetched:
    return call()


def fetch(
    location: str,
    kind: SourceKind,
    options: FetchOptions,
    *,
    base_dir: Path | None = None,
    known: KnownLookup | None = None,
) -> list[Fetched]:
    """Fetch a source once (no retries).

    ``url`` and ``file`` give a one-element list; ``feed`` gives a
    :class:`FeedResult` (a list of the entries fetched, with ``.failures``
    and ``.feed``). Raises :class:`FetchError` (or :class:`TransientFetchError`)
    when the source itself cannot be fetched.
    """
    if kind == "file":
        return [fetch_file(location, options, base_dir=base_dir)]
    if kind == "url":
        return [fetch_url(location, options, known=known)]
    if kind == "feed":
        return _fetch_feed(location, options, base_dir=base_dir, attempt=_once, known=known)
    raise FetchError(location, f"unknown source kind {kind!r} (expected url, file or feed)")


def _backoffs(options: FetchOptions) -> Iterator[float]:
    for attempt in range(options.retries):
        yield options.retry_backoff * (2**attempt)


def _retrying(
    options: FetchOptions, sleep: Callable[[float], None]
) -> Callable[[Callable[[], Fetched]], Fetched]:
    def attempt(call: Callable[[], Fetched]) -> Fetched:
        delays = _backoffs(options)
        while True:
            try:
                return call()
            except TransientFetchError as exc:
                delay = next(delays, None)
                if delay is None:
                    raise
                log.info("retrying in %.2f s: %s", delay, exc)
                sleep(delay)

    return attempt


def fetch_with_retries(
    location: str,
    kind: SourceKind,
    options: FetchOptions,
    *,
    base_dir: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
    known: KnownLookup | None = None,
) -> list[Fetched]:
    """Like :func:`fetch`, retrying :class:`TransientFetchError` ``options.retries`` times.

    Backoff starts at ``options.retry_backoff`` seconds and doubles. For a
    feed, the feed document and each entry are retried separately.
    """
    attempt = _retrying(options, sleep)
    if kind == "feed":
        return _fetch_feed(location, options, base_dir=base_dir, attempt=attempt, known=known)
    return [attempt(lambda: fetch(location, kind, options, base_dir=base_dir, known=known)[0])]
