"""Fetch raw bytes from files, http(s) URLs and RSS/Atom feeds.

Every fetch returns :class:`Fetched` records: the exact bytes plus the
metadata a snapshot and a :class:`schemas.records.SourceRef` need. Errors are
:class:`pipeline.errors.FetchError` (one line naming the source and the
reason); :class:`TransientFetchError` marks the ones worth retrying (5xx,
429, timeouts, dropped connections).

Safety rules for URLs (they also apply to every redirect target and to every
link taken from a feed, since those come from scraped text):

* only ``http`` and ``https``;
* the host must resolve to public addresses only, unless
  ``FetchOptions.allow_private_addresses`` (no loopback, private, link-local,
  shared, multicast or reserved ranges: scraped links must not steer us into
  the intranet or a cloud metadata endpoint);
* redirects are followed by hand, at most ``max_redirects``, loops refused;
* bodies are streamed and refused past ``max_bytes``;
* the content type must be in ``allowed_content_types`` (sniffed from the
  first bytes when the server declares none).

Known limit of the address check: the host is resolved before httpx connects
and httpx resolves it again, so a DNS server that answers differently within
that window (DNS rebinding) is not caught.

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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from pipeline.config import FetchOptions
from pipeline.errors import FetchError

log = logging.getLogger(__name__)

SourceKind = Literal["url", "file", "feed"]

KEPT_HEADERS = ("content-type", "last-modified", "etag", "content-length")
ALLOWED_SCHEMES = ("http", "https")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# 4xx statuses that say "try again later" rather than "this will never work"
TRANSIENT_CLIENT_STATUSES = (408, 425, 429)


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


def check_address(address: str) -> str | None:
    """Why ``address`` (an IP literal) must not be fetched, or None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
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


def _resolve(host: str, port: int) -> list[str]:
    """All addresses ``host`` resolves to (IP literals resolve to themselves)."""
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _check_url(url: str, source: str, options: FetchOptions) -> None:
    """Refuse schemes other than http(s) and (unless allowed) non-public hosts."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise FetchError(source, f"refused URL scheme {scheme or '(none)'!r} in {url}")
    host = parts.hostname
    if not host:
        raise FetchError(source, f"URL has no host: {url}")
    if options.allow_private_addresses:
        return
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchError(source, f"invalid port in {url}") from exc
    try:
        addresses = _resolve(host, port)
    except socket.gaierror as exc:
        if exc.errno == socket.EAI_AGAIN:
            raise TransientFetchError(source, f"cannot resolve host {host}: {exc}") from exc
        raise FetchError(source, f"cannot resolve host {host}: {exc}") from exc
    for address in addresses:
        why = check_address(address)
        if why is not None:
            raise FetchError(
                source,
                f"refused {why} address {address} for host {host} "
                "(set fetch.allow_private_addresses to allow)",
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
        parts = urlsplit(url)
        return f"{(parts.hostname or '').lower()}:{parts.port or ''}"

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
    if not path.exists():
        raise FetchError(location, f"file not found: {path}")
    if path.is_dir():
        raise FetchError(location, f"is a directory, not a file: {path}")
    try:
        size = path.stat().st_size
        if size > options.max_bytes:
            raise FetchError(location, f"file larger than {options.max_bytes} bytes ({size})")
        data = path.read_bytes()
    except OSError as exc:
        raise FetchError(location, f"cannot read file {path}: {exc.strerror or exc}") from exc
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


def _client(options: FetchOptions) -> httpx.Client:
    return httpx.Client(
        follow_redirects=False,
        timeout=httpx.Timeout(options.timeout),
        headers={"User-Agent": options.user_agent, "Accept-Encoding": "gzip, deflate"},
        # never pick up proxies or .netrc from the environment
        trust_env=False,
    )


def _read_body(
    response: httpx.Response, source: str, options: FetchOptions, deadline: float
) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > options.max_bytes:
        raise FetchError(
            source, f"body larger than {options.max_bytes} bytes (declared {declared})"
        )
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > options.max_bytes:
            raise FetchError(source, f"body larger than {options.max_bytes} bytes")
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise TransientFetchError(source, f"timed out after {options.timeout:g} s")
    return b"".join(chunks)


def _check_content_type(
    declared: str | None, data_head: bytes, source: str, options: FetchOptions
) -> str:
    media = _media_type(declared) or sniff_content_type(data_head)
    allowed = {t.lower() for t in options.allowed_content_types}
    if media not in allowed:
        raise FetchError(source, f"refused content type {media}")
    return media


def _fetch_url_once(
    client: httpx.Client,
    location: str,
    options: FetchOptions,
    *,
    kind: SourceKind = "url",
    via: str | None = None,
    known: KnownLookup | None = None,
) -> Fetched:
    earlier = known(location) if known is not None else None
    url = location.strip()
    seen: set[str] = set()
    hops = 0
    while True:
        _check_url(url, location, options)
        seen.add(url)
        deadline = time.monotonic() + options.timeout
        try:
            # validators apply to the location as requested, not to a redirect target
            conditional = earlier.headers() if earlier is not None and url == location else {}
            with (
                HOSTS.slot(url, options),
                client.stream("GET", url, headers=conditional) as response,
            ):
                status = response.status_code
                if status == 304 and earlier is not None and conditional:
                    # unchanged: the earlier bytes, from their snapshot; no body transferred
                    log.debug("not modified", extra={"source": location})
                    return dataclasses.replace(
                        earlier.replay(), fetched_at=_now(), status=304, kind=kind, via=via
                    )
                if status in REDIRECT_STATUSES:
                    target = response.headers.get("location")
                    if not target:
                        raise HTTPStatusFetchError(
                            location, f"HTTP {status} redirect without Location from {url}", status
                        )
                    next_url = urljoin(url, target.strip())
                    if next_url in seen:
                        raise FetchError(location, f"redirect loop at {next_url}")
                    hops += 1
                    if hops > options.max_redirects:
                        raise FetchError(
                            location, f"too many redirects (more than {options.max_redirects})"
                        )
                    log.debug("redirect", extra={"source": location, "to": next_url})
                    url = next_url
                    continue
                if status >= 400:
                    reason = f"HTTP {status} {response.reason_phrase} from {url}".strip()
                    if status >= 500 or status in TRANSIENT_CLIENT_STATUSES:
                        wait = retry_after(response.headers.get("retry-after"), options)
                        if wait:  # the host asked for a pause: every request to it waits
                            HOSTS.back_off(url, wait)
                            reason += f" (Retry-After {wait:g} s)"
                        raise TransientHTTPStatusError(location, reason, status)
                    raise HTTPStatusFetchError(location, reason, status)
                declared = response.headers.get("content-type")
                if _media_type(declared) is not None:
                    # refuse a wrong declared type before reading the body
                    _check_content_type(declared, b"", location, options)
                data = _read_body(response, location, options, deadline)
                content_type = _check_content_type(declared, data[:4096], location, options)
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
        except httpx.TimeoutException as exc:
            raise TransientFetchError(
                location, f"timed out after {options.timeout:g} s ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise TransientFetchError(location, f"{type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FetchError(location, f"{type(exc).__name__}: {exc}") from exc


def fetch_url(location: str, options: FetchOptions, *, known: KnownLookup | None = None) -> Fetched:
    """Fetch one http(s) URL under the safety rules in the module docstring.

    With ``known``, a location fetched before is asked for conditionally (ETag /
    Last-Modified); a 304 answer gives the earlier bytes with ``status`` 304.
    """
    with _client(options) as client:
        return _fetch_url_once(client, location, options, known=known)


# --------------------------------------------------------------------------- feeds


def feed_links(data: bytes, source: str, base_url: str | None = None) -> list[str]:
    """Entry links of an RSS 0.9x/1.0/2.0 or Atom feed, in feed order, without duplicates.

    Parsed by feedparser. Feeds that declare a DOCTYPE or entities are refused first (no
    entity expansion, no external resources), and feedparser only ever sees the bytes
    (never a string it could take for a URL or a path). Relative links are resolved against
    ``base_url``.
    """
    import feedparser  # a second or so of imports, only for feeds

    head = data[:65536].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise FetchError(source, "feed declares a DOCTYPE or entities; refused")
    headers = {"content-location": base_url} if base_url else {}
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=False)
    problem = parsed.get("bozo_exception")
    if isinstance(problem, xml.sax.SAXParseException):
        raise FetchError(source, f"feed is not well-formed XML: {problem}")
    if not parsed.get("version"):
        raise FetchError(source, "not an RSS or Atom feed")
    links: list[str] = []
    for entry in parsed.entries:
        link = _entry_link(entry)
        if link is None:
            log.warning("feed entry without link", extra={"source": source})
            continue
        if base_url:
            link = urljoin(base_url, link)
        if link not in links:
            links.append(link)
    return links


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
    is_url = urlsplit(location).scheme.lower() in ALLOWED_SCHEMES
    with _client(options) as client:
        if is_url:
            feed = attempt(
                lambda: _fetch_url_once(client, location, options, kind="feed", known=known)
            )
        else:
            local = fetch_file(location, options, base_dir=base_dir)
            feed = dataclasses.replace(local, kind="feed")
        links = feed_links(feed.data, location, feed.final_url)
        if len(links) > options.max_feed_items:
            log.info(
                "feed truncated",
                extra={"source": location, "entries": len(links), "kept": options.max_feed_items},
            )
        items: list[Fetched] = []
        failures: list[FetchError] = []
        for link in links[: options.max_feed_items]:
            try:
                call = functools.partial(
                    _fetch_url_once, client, link, options, kind="url", via=location, known=known
                )
                items.append(attempt(call))
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
