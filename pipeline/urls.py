"""Syntax checks for URLs taken from users and from scraped text.

These run before anything is resolved or fetched, so that a malformed URL (an
empty or over-long host label, a URL of 70,000 characters, an unbalanced IPv6
bracket) is one clear reason instead of an exception from deep inside the
socket or IDNA code, and so that credentials written into a URL are never
stored or shown.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

MAX_URL_CHARS = 8192
"""Longest URL fetched (RFC 9110 asks clients to handle at least 8,000 octets)."""
MAX_HOST_CHARS = 253
MAX_LABEL_CHARS = 63
# scheme://userinfo@ : the userinfo runs to the last "@" before the path
_USERINFO_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_LABEL_RE = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$")

CREDENTIALS_HINT = (
    "remove them from the URL and set them in the options file under fetch.credentials "
    "(host: {username: NAME, password_env: ENV_VAR}; the password is read from that "
    "environment variable)"
)


def host_problem(host: str) -> str | None:
    """Why ``host`` (a name or an IP literal, without brackets) is not a usable host, or None."""
    if not host:
        return "no host"
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return None
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return f"host name {_short(host)} is not a valid internationalised name"
    name = name.lower()
    for label in name.split("."):
        if not label:
            return f"host name {_short(host)} has an empty label"
        if len(label) > MAX_LABEL_CHARS:
            return f"host name has a label longer than {MAX_LABEL_CHARS} characters ({len(label)})"
        if not _LABEL_RE.match(label):
            return f"host name {_short(host)} has characters not allowed in a host name"
    if len(name) > MAX_HOST_CHARS:
        return f"host name longer than {MAX_HOST_CHARS} characters ({len(name)})"
    return None


def normalize_host(host: str) -> str:
    """A host name as compared: lower case, no trailing dot, internationalised names in
    their ASCII (IDNA) form, as they go on the wire."""
    name = host.strip().lower().rstrip(".")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return name  # host_problem says why it is unusable
    return name


def syntax_problem(url: str) -> str | None:
    """Why ``url`` is malformed (too long, control characters, unparsable, a bad host name
    or port), or None. The scheme is the caller's business (it decides which it takes)."""
    if len(url) > MAX_URL_CHARS:
        return f"URL longer than {MAX_URL_CHARS} characters ({len(url)})"
    if any(ord(c) < 0x20 or c == "\x7f" for c in url):
        return "URL contains control characters"
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        return f"malformed URL: {exc}"
    if port == 0:
        return "malformed URL: port 0"
    problem = host_problem(host or "")
    return None if problem is None else f"malformed URL: {problem}"


def has_credentials(url: str) -> bool:
    """Whether a user name or password is written in the URL (``user:secret@host``)."""
    return _USERINFO_RE.match(url) is not None


def redact_url(url: str) -> str:
    """``url`` with any user name and password replaced by ``***`` (safe to show or store)."""
    return _USERINFO_RE.sub(r"\1***@", url, count=1)


def display_url(url: str, limit: int = 300) -> str:
    """``url`` as it may be shown in a message: credentials hidden, at most ``limit`` chars."""
    shown = redact_url(url)
    return shown if len(shown) <= limit else shown[:limit] + "…"


def _short(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
