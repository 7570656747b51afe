"""One parser for every rate-limit signal in the wild.

[`parse_signal`][reposix.parse_signal] turns a response's status and headers, in whichever vendor's
dialect, into one [`RateSignal`][reposix.RateSignal]. The header families it reads:

* ``Retry-After`` (RFC 9110: delta seconds or an HTTP date) -- everyone;
* ``X-RateLimit-Limit/-Remaining/-Reset`` -- GitHub (epoch s), Atlassian (ISO date), Bitbucket;
* ``RateLimit-Limit/-Remaining/-Reset`` and ``RateLimit-ResetTime`` -- GitLab (epoch s,
  HTTP date) and the IETF drafts up to -05 (delta seconds);
* ``RateLimit`` / ``RateLimit-Policy`` structured fields -- the IETF draft's current
  ``"policy";r=0;t=30`` form and the -06 ``limit=…, remaining=…, reset=…`` form
  (also Jira's ``Beta-RateLimit*`` spellings);
* ``X-RateLimit-Requests-*`` / ``X-RateLimit-Complexity-*`` -- Linear (epoch ms);
* ``RateLimit-Reason`` -- Jira.

One limit is signalled in the **body** only: GitHub's secondary rate limits, a 403 or
429 whose JSON ``message`` says a secondary rate limit was exceeded (or, in the older
wording, an abuse detection mechanism was triggered) and whose ``documentation_url``
points at the secondary-limit section, often with neither ``Retry-After`` nor any
``x-ratelimit-*`` header. GitHub's rule for it: honour ``Retry-After`` when present,
else wait **at least one minute**, and wait exponentially longer if it repeats
(https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit,
https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately).
Such a signal carries ``floor`` (60 s) and ``escalates``; [`RateGate`][reposix.RateGate]
applies both. The shape is recognised here, in the one parser, rather than declared
by each connector: every client of a GitHub-shaped API (github.com, GHES, GitHub
Apps) gets it, and a connector cannot forget it. Recognition is strict (a JSON object
with that message or that documentation anchor), so another vendor's permission 403
is never read as a rate limit.

Linear signals a rate limit in the body as well: a GraphQL ``errors`` entry whose
``extensions.type`` is ``"ratelimited"`` (its SDK's test,
https://github.com/linear/linear/blob/master/packages/sdk/src/error.ts) or whose
``extensions.code`` is ``"RATELIMITED"``, sent with HTTP **400**
(https://linear.app/developers/rate-limiting: "the API will return a 400 status code
with a RATELIMITED error code") -- and a GraphQL server may say the same under a 200.
Such a body is a refusal whatever its status; its wait comes from the exhausted
``X-RateLimit-Requests-*``/``-Complexity-*`` window (epoch-ms resets) or the policy.

Times are read by `seconds_until` (see ``reposix._ratelimit._parse`` for the rule).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from reposix._ratelimit._parse import http_date, parse_count, seconds_until

if TYPE_CHECKING:
    from reposix._ratelimit._sfv import Member

__all__ = ["SECONDARY_MIN_WAIT", "RateSignal", "parse_signal", "seconds_until"]


@dataclass(frozen=True, slots=True)
class RateSignal:
    """What one response says about rate limits, whatever the vendor's header dialect.

    ``refused``: the server refused this request for rate limiting; retry later.
    ``wait``: seconds from now before the next request may go (None: unknown).
    ``remaining``: requests left in the tightest window the server reported.
    ``limit``: the size of a reported window, when the server says.
    ``reset_after``: seconds until the earliest reported window resets.
    ``reason``: the server's explanation (Jira's ``RateLimit-Reason``).
    ``source``: which header the ``wait`` came from (for messages and logs).
    ``floor``: the least wait the vendor's guidance asks for when the refusal names
    no time (GitHub's secondary limits: 60 s); None: the policy's ``default_wait``.
    ``escalates``: a repeat of this refusal must wait longer each time (GitHub:
    "exponentially increasing"); the gate doubles the wait per consecutive refusal.
    """

    refused: bool
    wait: float | None
    remaining: int | None = None
    limit: int | None = None
    reset_after: float | None = None
    reason: str | None = None
    source: str | None = None
    floor: float | None = None
    escalates: bool = False

    @property
    def exhausted(self) -> bool:
        """The server says no request is left in some window (``remaining == 0``)."""
        return self.remaining == 0


@dataclass(frozen=True, slots=True)
class _Window:
    remaining: int | None
    reset: float | None
    limit: int | None
    source: str


# (header prefix, alternative reset header holding an HTTP date)
_FAMILIES: tuple[tuple[str, str | None], ...] = (
    ("x-ratelimit-", None),  # GitHub, Atlassian, Bitbucket
    ("x-rate-limit-", None),  # GitHub's OpenAPI component names; Twitter-style APIs
    ("ratelimit-", "ratelimit-resettime"),  # GitLab, IETF drafts -00 … -05
    ("x-ratelimit-requests-", None),  # Linear, request budget
    ("x-ratelimit-complexity-", None),  # Linear, complexity budget
    ("x-beta-ratelimit-", None),  # Jira points-based quotas (beta)
)
_STRUCTURED = ("ratelimit", "beta-ratelimit")
_POLICIES = ("ratelimit-policy", "beta-ratelimit-policy")
_SECONDARY = re.compile(r"rate limit|abuse detection", re.IGNORECASE)
_BODY_PREFIX = 4096
# GitHub's secondary-limit bodies: "You have exceeded a secondary rate limit ..." and the
# older "You have triggered an abuse detection mechanism ...", with documentation_url
# anchors #secondary-rate-limits, #about-secondary-rate-limits or #abuse-rate-limits.
_SECONDARY_MESSAGE = re.compile(r"secondary rate limit|abuse detection mechanism", re.IGNORECASE)
_SECONDARY_DOC = re.compile(r"#(?:about-)?(?:secondary|abuse)-rate-limits?\b", re.IGNORECASE)
_GRAPHQL_RATE = re.compile(rb"ratelimited|rate_limited", re.IGNORECASE)
_GRAPHQL_RATE_KINDS = frozenset({"ratelimited", "rate_limited"})
SECONDARY_MIN_WAIT = 60.0
"""GitHub: without ``Retry-After``, "wait for at least one minute before retrying"."""


def _lower(headers: Mapping[str, object]) -> dict[str, str]:
    """Header names lower-cased; values as text (fixtures sometimes hold ints)."""
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        lowered[str(name).strip().lower()] = text
    return lowered


def _number(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return int(value)


def _family_windows(headers: Mapping[str, str], ref: datetime) -> list[_Window]:
    windows = []
    for prefix, date_header in _FAMILIES:
        remaining = parse_count(headers.get(prefix + "remaining"))
        source = prefix + "reset"
        reset = seconds_until(headers.get(source), ref)
        if reset is None and date_header is not None:
            source = date_header
            reset = seconds_until(headers.get(date_header), ref)
        limit = parse_count(headers.get(prefix + "limit"))
        if remaining is not None or reset is not None or limit is not None:
            windows.append(_Window(remaining, reset, limit, source))
    return windows


def _parse_members(raw: str) -> list[Member]:
    # The structured-field parser loads with the first response that carries such a
    # field (the IETF draft headers): most vendors send only ``x-ratelimit-*``.
    from reposix._ratelimit._sfv import parse_members

    return parse_members(raw)


def _structured_windows(headers: Mapping[str, str], ref: datetime) -> list[_Window]:
    windows = []
    for name in _STRUCTURED:
        raw = headers.get(name)
        if raw is None:
            continue
        members = _parse_members(raw)
        # draft -06: a dictionary ``limit=100, remaining=50, reset=5`` describes one window
        keyed = {m.key: m.value for m in members if m.key is not None}
        if keyed:
            remaining = _number(keyed.get("remaining"))
            reset = seconds_until(keyed.get("reset"), ref) if "reset" in keyed else None
            limit = _number(keyed.get("limit"))
            if remaining is not None or reset is not None:
                windows.append(_Window(remaining, reset, limit, name))
        # current draft: a list of ``"policy";r=<remaining>;t=<seconds to reset>``
        for member in members:
            if member.key is not None:
                continue
            remaining = _number(member.params.get("r"))
            reset = seconds_until(member.params["t"], ref) if "t" in member.params else None
            if remaining is not None or reset is not None:
                windows.append(_Window(remaining, reset, None, name))
    return windows


def _policy_limit(headers: Mapping[str, str]) -> int | None:
    """The smallest quota a ``RateLimit-Policy`` field announces (``q=``, older ``l=``)."""
    quotas: list[int] = []
    for name in _POLICIES:
        raw = headers.get(name)
        if raw is None:
            continue
        for member in _parse_members(raw):
            quota = member.params.get("q", member.params.get("l", member.value))
            count = _number(quota)
            if count is not None:
                quotas.append(count)
    return min(quotas) if quotas else None


def _reason(headers: Mapping[str, str]) -> str | None:
    raw = headers.get("ratelimit-reason")
    if raw is None:
        return None
    text = "".join(c for c in raw.strip()[:200] if c.isprintable())
    return text or None


def _mentions_rate_limit(body: bytes | str | None) -> bool:
    return _SECONDARY.search(_body_text(body)) is not None


def _body_text(body: bytes | str | None) -> str:
    if not body:
        return ""
    text = body[:_BODY_PREFIX]
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return text


def _github_secondary(body: bytes | str | None) -> bool:
    """Whether ``body`` is GitHub's secondary-rate-limit error object (strict shape)."""
    text = _body_text(body)
    if not text.lstrip().startswith("{"):
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False  # a cut-off prefix of a longer body: not this small error object
    if not isinstance(data, dict):
        return False
    message, doc = data.get("message"), data.get("documentation_url")
    return (isinstance(message, str) and _SECONDARY_MESSAGE.search(message) is not None) or (
        isinstance(doc, str) and _SECONDARY_DOC.search(doc) is not None
    )


def _graphql_ratelimited(body: bytes | str | None) -> str | None:
    """The message of a GraphQL ``errors`` entry naming a rate limit (strict: a JSON
    object with an ``errors`` list, an entry's ``extensions.type``/``code``), else None."""
    text = _body_text(body)
    if not text or _GRAPHQL_RATE.search(text.encode()) is None:
        return None  # the cheap check first: most bodies never get parsed
    try:
        data = json.loads(text)
    except ValueError:
        return None
    errors = data.get("errors") if isinstance(data, dict) else None
    if not isinstance(errors, list):
        return None
    for entry in errors:
        ext = entry.get("extensions") if isinstance(entry, dict) else None
        if not isinstance(ext, dict):
            continue
        for key in ("type", "code"):
            value = ext.get(key)
            if isinstance(value, str) and value.strip().lower() in _GRAPHQL_RATE_KINDS:
                message = entry.get("message")
                text = "".join(c for c in str(message or "")[:200] if c.isprintable())
                return f"graphql {value.strip()}" + (f": {text}" if text else "")
    return None


def _parse(
    status: int, headers: Mapping[str, str], now: datetime, body: bytes | str | None
) -> RateSignal | None:
    lower = _lower(headers)
    # Absolute times are compared with the server's own clock when it tells us.
    ref = http_date(lower["date"]) if "date" in lower else None
    ref = ref or now
    retry_after = seconds_until(lower.get("retry-after"), ref)
    windows = _family_windows(lower, ref) + _structured_windows(lower, ref)
    reason = _reason(lower)

    remainings = [w.remaining for w in windows if w.remaining is not None]
    remaining = min(remainings) if remainings else None
    limits = [w.limit for w in windows if w.limit is not None]
    limit = min(limits) if limits else _policy_limit(lower)
    resets = [w for w in windows if w.reset is not None]
    reset_after = min(w.reset for w in resets if w.reset is not None) if resets else None
    exhausted = [w for w in resets if w.remaining == 0]

    # GitHub's secondary limit: its error object alone, or its message next to the
    # rate-limit headers. A bare 403 is a permission problem.
    secondary = status in (403, 429) and (
        _github_secondary(body) or (bool(windows) and remaining != 0 and _mentions_rate_limit(body))
    )
    graphql_limit = _graphql_ratelimited(body) if status in (200, 400, 429) else None
    if status == 429 or graphql_limit:
        refused = True
    elif status == 403:
        # GitHub: primary limit = remaining 0; secondary = Retry-After or the body.
        refused = retry_after is not None or remaining == 0 or secondary
    else:
        refused = False

    wait: float | None = None
    source: str | None = None
    if retry_after is not None:
        wait, source = retry_after, "retry-after"
    elif exhausted:
        # every exhausted window must reset before a request can succeed
        last = max(exhausted, key=lambda w: w.reset or 0.0)
        wait, source = last.reset, last.source
    # Refused while no window is at 0 (GitHub's secondary limits, GitLab's buggy
    # export limit): the resets describe other windows, so the wait is unknown and
    # the gate uses the policy's default, or for GitHub's secondary limits at least a
    # minute, doubled on each repeat.
    floor = SECONDARY_MIN_WAIT if secondary and wait is None else None
    if floor is not None and reason is None:
        reason = "github secondary rate limit"
    if graphql_limit and reason is None:
        reason = graphql_limit

    if not refused and wait is None and not windows and reason is None:
        return None
    return RateSignal(
        refused=refused,
        wait=wait,
        remaining=remaining,
        limit=limit,
        reset_after=reset_after,
        reason=reason,
        source=source,
        floor=floor,
        escalates=floor is not None,
    )


def parse_signal(
    status: int,
    headers: Mapping[str, str],
    now: datetime,
    *,
    body: bytes | str | None = None,
) -> RateSignal | None:
    """Read a response's rate-limit signal, or None when it carries none.

    ``now`` is the client's UTC time; absolute reset times are measured against the
    response's ``Date`` header when it has one (immune to client clock skew).
    ``body`` (optional, the first 4 KiB are read) lets a 403/429 be recognised as
    GitHub's secondary limit by its error object, and a 200/400/429 as a GraphQL
    ``ratelimited`` error (Linear; see the module docstring).
    Malformed values are ignored: this function never raises on its input.
    """
    try:
        return _parse(status, headers, now, body)
    except Exception:  # pragma: no cover - belt and braces: a header must not break a request
        return RateSignal(refused=True, wait=None) if status == 429 else None
