"""Paired benchmark: the reposix GitHub connector against a plain ``httpx`` loop.

Run: ``python benchmarks/bench_github.py [--issues 10000] [--slow-issues 2000]
[--latency-ms 50] [--rss-issues 10000 100000] [--repeat 5] [--json PATH]``.

It starts a GitHub-shaped loopback server in its own process (``GET
/repos/{o}/{r}/issues`` with ``per_page``/``page``, a ``Link`` header naming
``rel="next"`` and ``rel="last"`` as GitHub does: https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api),
serving issues of about 2.8 KB shaped like the real ``paginate-issues`` fixture.
Each client is a whole process (interpreter start and imports included), and the
two kinds run in alternation so drift on a shared machine hits both alike:

- ``plain``: an ``httpx.AsyncClient`` loop that parses JSON and builds a dict per issue;
- ``reposix``: ``GitHubConnector.list_records`` with the default audit log on a file.

With ``--peers`` (or ``--peers singer``, ``--peers airbyte``), two framework clients
join (a) and (c), timed in the same alternation against the same server, each from its
own venv (``bash benchmarks/peers/setup.sh`` creates them; see ``benchmarks/peers/``):

- ``singer``: a singer-sdk tap (``RESTStream`` with ``HeaderLinkPaginator``) syncing to
  standard output, which points at ``/dev/null``;
- ``airbyte``: an airbyte-cdk source (``HttpStream`` with ``next_page_token`` from
  ``Link``) read through the CDK's entrypoint, its messages printed to ``/dev/null``.

It prints (a) the wall-time ratio for ``--issues`` issues with no latency, (b) the
reposix wall time for ``--slow-issues`` issues with ``--latency-ms`` per request,
and (c) the peak RSS of streaming ``--rss-issues`` through ``iter_records``
(``resource.getrusage``'s ``ru_maxrss``, reported by each child itself). ``--json``
also writes every run, each client's version, the machine, the date, the spread
(min/median/max) and the ratios against the plain loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

HERE = Path(__file__).resolve()
PEERS_DIR = HERE.parent / "peers"
# Each peer and its script, run by the Python of its own venv (see peer_python).
PEERS = {"singer": "singer_tap.py", "airbyte": "airbyte_source.py"}
OWNER_REPO = "bench-org/bench-repo"
BODY = (
    "Steps to reproduce: open the board, drag a card across two columns, reload. "
    "The card returns to its first column and the activity log shows no move. "
) * 7


def _issue_template() -> str:
    """One issue's JSON with ``NUMBER`` in place of its number (about 2.8 KB)."""
    base = f"https://api.github.com/repos/{OWNER_REPO}"
    user = {
        "login": "octokit-fixture-user-a",
        "id": 1000,
        "node_id": "MDA6RW50aXR5MQ==",
        "avatar_url": "https://avatars.githubusercontent.com/u/1000?v=4",
        "gravatar_id": "",
        "url": "https://api.github.com/users/octokit-fixture-user-a",
        "html_url": "https://github.com/octokit-fixture-user-a",
        "followers_url": "https://api.github.com/users/octokit-fixture-user-a/followers",
        "repos_url": "https://api.github.com/users/octokit-fixture-user-a/repos",
        "type": "User",
        "site_admin": False,
    }
    issue: dict[str, Any] = {
        "url": f"{base}/issues/NUMBER",
        "repository_url": base,
        "labels_url": f"{base}/issues/NUMBER/labels{{/name}}",
        "comments_url": f"{base}/issues/NUMBER/comments",
        "events_url": f"{base}/issues/NUMBER/events",
        "html_url": f"https://github.com/{OWNER_REPO}/issues/NUMBER",
        "id": 0,
        "node_id": "MDU6SXNzdWUx",
        "number": 0,
        "title": "Test issue NUMBER",
        "user": user,
        "labels": [
            {
                "id": 208045946,
                "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=",
                "url": f"{base}/labels/bug",
                "name": "bug",
                "description": "Something isn't working",
                "color": "f29513",
                "default": True,
            }
        ],
        "state": "open",
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": 42,
        "created_at": "2017-10-10T16:00:00Z",
        "updated_at": "2017-10-10T16:00:00Z",
        "closed_at": None,
        "author_association": "MEMBER",
        "active_lock_reason": None,
        "body": BODY,
        "reactions": {"url": f"{base}/issues/NUMBER/reactions", "total_count": 0},
        "timeline_url": f"{base}/issues/NUMBER/timeline",
        "performed_via_github_app": None,
        "state_reason": None,
    }
    text = json.dumps(issue, separators=(",", ":"))
    return text.replace('"id":0,', '"id":NUMBER,').replace('"number":0,', '"number":NUMBER,')


# -- the server -----------------------------------------------------------------------------


def serve(port: int, issues: int, latency: float) -> None:
    """A minimal HTTP/1.1 keep-alive server shaped like GitHub's issue listing."""
    parts = _issue_template().split("NUMBER")

    def page_body(first: int, last: int) -> bytes:
        items = ",".join(str(n).join(parts) for n in range(first, last + 1))
        return ("[" + items + "]").encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                target = line.split()[1].decode()
                split = urlsplit(target)
                query = dict(parse_qsl(split.query))
                per_page = min(100, int(query.get("per_page", "30")))
                page = int(query.get("page", "1"))
                pages = max(1, -(-issues // per_page))
                first = (page - 1) * per_page + 1
                body = (
                    page_body(first, min(issues, first + per_page - 1)) if page <= pages else b"[]"
                )
                links = []
                origin = f"http://127.0.0.1:{port}{split.path}"
                if page < pages:
                    links.append(f'<{origin}?{urlencode({**query, "page": page + 1})}>; rel="next"')
                    links.append(f'<{origin}?{urlencode({**query, "page": pages})}>; rel="last"')
                if latency:
                    await asyncio.sleep(latency)
                headers = [
                    "HTTP/1.1 200 OK",
                    "Content-Type: application/json; charset=utf-8",
                    f"Content-Length: {len(body)}",
                    "X-RateLimit-Limit: 5000",
                    "X-RateLimit-Remaining: 4999",
                    "X-RateLimit-Resource: core",
                ]
                if links:
                    headers.append("Link: " + ", ".join(links))
                writer.write(("\r\n".join(headers) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (ConnectionError, IndexError, ValueError):
            return
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=64)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# -- the clients (each run as its own process) ----------------------------------------------


def _rss_mib() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def plain_loop(url: str) -> tuple[int, float]:
    """What a hand-written client does: GET, ``json()``, a dict per issue, follow ``next``.

    Returns the count and the seconds the listing itself took (client set-up excluded).
    """
    import httpx

    out: list[dict[str, Any]] = []
    auth = {"Authorization": "Bearer bench-token-0000"}
    # The plain loop is the baseline reposix is measured against, so it uses httpx directly.
    async with httpx.AsyncClient(headers=auth) as http:  # noqa: TID251
        started = time.perf_counter()
        next_url: str | None = f"{url}/repos/{OWNER_REPO}/issues"
        params: dict[str, Any] | None = {
            "state": "all",
            "sort": "created",
            "direction": "asc",
            "per_page": 100,
        }
        while next_url:
            response = await http.get(next_url, params=params)
            response.raise_for_status()
            for item in response.json():
                if "pull_request" in item:
                    continue
                out.append(
                    {
                        "id": item["number"],
                        "title": item["title"],
                        "state": item["state"],
                        "labels": [lab["name"] for lab in item["labels"]],
                        "assignee": (item["assignee"] or {}).get("login"),
                        "created_at": item["created_at"],
                        "updated_at": item["updated_at"],
                        "body": item["body"] or "",
                    }
                )
            next_url = response.links.get("next", {}).get("url")
            params = None
        took = time.perf_counter() - started
    return len(out), took


def _connector(url: str) -> Any:
    from reposix import Runtime, Secret
    from reposix._http import Allowlist
    from reposix_github.connector import GitHubConnector

    runtime = Runtime(allowlist=Allowlist.parse(url), max_records=10**7)
    return GitHubConnector(Secret("bench-token-0000"), base_url=url, runtime=runtime)


async def reposix_list(url: str) -> tuple[int, float]:
    """``list_records``: every record held in one list (seconds: the call alone)."""
    async with _connector(url) as gh:
        started = time.perf_counter()
        count = len(await gh.list_records(OWNER_REPO))
        return count, time.perf_counter() - started


async def reposix_stream(url: str) -> tuple[int, float]:
    """``iter_records``: records counted as they arrive, none kept."""
    count = 0
    async with _connector(url) as gh:
        started = time.perf_counter()
        async for _record in gh.iter_records(OWNER_REPO):
            count += 1
        return count, time.perf_counter() - started


CLIENTS = {"plain": plain_loop, "reposix": reposix_list, "reposix-stream": reposix_stream}


def client_main(kind: str, url: str) -> None:
    count, listing = asyncio.run(CLIENTS[kind](url))
    print(json.dumps({"count": count, "rss_mib": _rss_mib(), "listing_s": listing}))


# -- the driver -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The loopback server in a child process, for one (issues, latency) setting."""

    def __init__(self, issues: int, latency_ms: float) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = ["serve", "--port", str(self.port), "--issues", str(issues)]
        args += ["--latency-ms", str(latency_ms)]
        self.proc = subprocess.Popen([sys.executable, str(HERE), *args])
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("the loopback server did not start") from None
                time.sleep(0.05)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peer_venvs() -> Path:
    """Where ``benchmarks/peers/setup.sh`` puts the peers' venvs (one per peer)."""
    if root := os.environ.get("REPOSIX_PEER_VENVS"):
        return Path(root)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "reposix-bench-peers"


def peer_python(peer: str) -> Path:
    """The interpreter of ``peer``'s venv (which may not exist yet)."""
    return peer_venvs() / peer / "bin" / "python"


def missing_peers(peers: list[str]) -> list[str]:
    """The peers whose venv is not there, so the driver can say how to create them."""
    return [p for p in peers if not peer_python(p).exists()]


def client_command(kind: str, url: str) -> list[str]:
    """The command line of one client process: a peer's script in its venv, or this file."""
    if kind in PEERS:
        return [str(peer_python(kind)), str(PEERS_DIR / PEERS[kind]), url]
    return [sys.executable, str(HERE), "client", kind, url]


VERSIONS: dict[str, str] = {}
"""Versions the peers' children reported (their frameworks live in other venvs)."""


def run_client(
    kind: str, url: str, audit_db: str, expect: int
) -> tuple[float, float, float, float]:
    """Wall time (s) of the whole client process, the peak RSS (MiB), the time (s) of
    the listing call alone (no imports, no client set-up), as the child reported them,
    and the whole process's CPU time (s; steadier than wall time on a loaded machine)."""
    # Bytecode caching on (as an installed package has its .pyc files): a shell that sets
    # PYTHONDONTWRITEBYTECODE would otherwise charge recompiling every changed module to
    # whichever client imports more of them.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["REPOSIX_AUDIT_DB"] = audit_db
    cpu = _children_cpu_s()
    started = time.perf_counter()
    out = subprocess.run(
        client_command(kind, url),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    cpu = _children_cpu_s() - cpu
    if out.returncode != 0:
        raise RuntimeError(f"{kind} client failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["count"] != expect:
        raise RuntimeError(f"{kind} client listed {result['count']} issues, not {expect}")
    VERSIONS.update(result.get("versions", {}))
    return wall, float(result["rss_mib"]), float(result["listing_s"]), cpu


def paired(kinds: list[str], url: str, audit_db: str, expect: int, repeat: int) -> dict[str, Any]:
    """Run ``kinds`` in alternation ``repeat`` times; medians of wall time and RSS."""
    walls: dict[str, list[float]] = {k: [] for k in kinds}
    rss: dict[str, list[float]] = {k: [] for k in kinds}
    inner: dict[str, list[float]] = {k: [] for k in kinds}
    cpus: dict[str, list[float]] = {k: [] for k in kinds}
    for i in range(repeat):
        # Alternate which goes first, so a load spike does not always hit the same one.
        for kind in kinds if i % 2 == 0 else kinds[::-1]:
            wall, peak, listing, cpu = run_client(kind, url, audit_db, expect)
            walls[kind].append(wall)
            rss[kind].append(peak)
            inner[kind].append(listing)
            cpus[kind].append(cpu)
    runs = {"wall": walls, "rss": rss, "listing": inner, "cpu": cpus}
    base = kinds[0]

    def per_round(series: dict[str, list[float]]) -> dict[str, list[float]]:
        # Each client over the plain loop of the same round (the pair run back to back).
        return {k: [x / b for x, b in zip(series[k], series[base], strict=True)] for k in kinds[1:]}

    ratios, cpu_ratios = per_round(walls), per_round(cpus)
    return {
        "wall": {k: statistics.median(v) for k, v in walls.items()},
        "rss": {k: statistics.median(v) for k, v in rss.items()},
        "listing": {k: statistics.median(v) for k, v in inner.items()},
        "cpu": {k: statistics.median(v) for k, v in cpus.items()},
        # reposix (the second kind) over the plain loop, per round: kept for older readers.
        "pairs": ratios[kinds[1]],
        "cpu_pairs": cpu_ratios[kinds[1]],
        "ratios": ratios,
        "cpu_ratios": cpu_ratios,
        "spread": {
            metric: {k: _spread(v) for k, v in series.items()}
            for metric, series in {**runs, "ratio": ratios, "cpu_ratio": cpu_ratios}.items()
        },
        "runs": runs,
    }


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def environment() -> dict[str, Any]:
    """When, where and with what the figures were taken (for the results file)."""
    import datetime
    import platform
    from importlib.metadata import version

    cpu = platform.processor()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpu": cpu,
            "cores": os.cpu_count(),
            "load_average": list(os.getloadavg()),
            "system": platform.platform(),
        },
        "versions": {
            "python": platform.python_version(),
            **{name: version(name) for name in ("reposix-sdk", "httpx", "pydantic")},
        },
    }


PEER_LABELS = {"singer": "singer-sdk tap", "airbyte": "airbyte-cdk source"}


def drive(args: argparse.Namespace) -> None:
    peers: list[str] = args.peers or []
    if missing := missing_peers(peers):
        sys.exit(
            f"no venv for {', '.join(missing)} under {peer_venvs()}; create it with "
            f"`bash benchmarks/peers/setup.sh {' '.join(missing)}` (or set REPOSIX_PEER_VENVS "
            "to where it is)"
        )
    results: dict[str, Any] = {**environment(), "args": vars(args), "peers": peers}
    with tempfile.TemporaryDirectory() as tmp:
        audit_db = str(Path(tmp) / "audit.db")
        rows: list[tuple[str, str]] = []

        server = Server(args.issues, 0)
        try:
            kinds = ["plain", "reposix", *peers]
            a = paired(kinds, server.url, audit_db, args.issues, args.repeat)
        finally:
            server.close()
        ratio = a["wall"]["reposix"] / a["wall"]["plain"]
        results["a"] = {"issues": args.issues, **a}
        rows += [
            (f"(a) plain httpx loop, {args.issues} issues", f"{a['wall']['plain']:.2f} s"),
            (f"(a) reposix list_records, {args.issues} issues", f"{a['wall']['reposix']:.2f} s"),
            ("(a) ratio reposix / plain (median of runs)", f"{ratio:.2f}×"),
            ("(a) paired ratios", " ".join(f"{p:.2f}" for p in a["pairs"])),
            ("(a) median of the paired ratios", f"{statistics.median(a['pairs']):.2f}×"),
            (
                "(a) whole-process CPU time, plain / reposix",
                f"{a['cpu']['plain']:.2f} s / {a['cpu']['reposix']:.2f} s",
            ),
            ("(a) CPU ratio (median of pairs)", f"{statistics.median(a['cpu_pairs']):.2f}×"),
        ]
        for peer in peers:
            label = PEER_LABELS[peer]
            rows += [
                (f"(a) {label}, {args.issues} issues", f"{a['wall'][peer]:.2f} s"),
                (
                    f"(a) ratio {peer} / plain (median of pairs, min–max)",
                    _ratio_cell(a["ratios"][peer]),
                ),
                (
                    f"(a) CPU ratio {peer} / plain (median of pairs, min–max)",
                    _ratio_cell(a["cpu_ratios"][peer]),
                ),
            ]

        server = Server(args.slow_issues, args.latency_ms)
        try:
            b = paired(["plain", "reposix"], server.url, audit_db, args.slow_issues, args.repeat)
        finally:
            server.close()
        pages = -(-args.slow_issues // 100)
        results["b"] = {"issues": args.slow_issues, "latency_ms": args.latency_ms, **b}
        rows += [
            (
                f"(b) plain httpx loop, {pages} pages at {args.latency_ms:g} ms",
                f"{b['wall']['plain']:.2f} s",
            ),
            (
                f"(b) reposix list_records, {pages} pages at {args.latency_ms:g} ms",
                f"{b['wall']['reposix']:.2f} s",
            ),
            ("(b) ratio reposix / plain", f"{b['wall']['reposix'] / b['wall']['plain']:.2f}×"),
            (
                f"(b) reposix listing call alone (in process), {pages} pages",
                f"{b['listing']['reposix']:.2f} s",
            ),
            (
                f"(b) plain loop alone (in process), {pages} pages",
                f"{b['listing']['plain']:.2f} s",
            ),
        ]

        peaks: dict[int, dict[str, float]] = {}
        for n in args.rss_issues:
            server = Server(n, 0)
            try:
                c = paired(["plain", "reposix-stream", *peers], server.url, audit_db, n, 1)
            finally:
                server.close()
            peaks[n] = c["rss"]
            results.setdefault("c", {})[str(n)] = c
            rows += [
                (
                    f"(c) peak RSS, plain loop keeping dicts, {n} issues",
                    f"{c['rss']['plain']:.0f} MiB",
                ),
                (
                    f"(c) peak RSS, reposix iter_records, {n} issues",
                    f"{c['rss']['reposix-stream']:.0f} MiB",
                ),
            ]
            rows += [
                (f"(c) peak RSS, {PEER_LABELS[peer]}, {n} issues", f"{c['rss'][peer]:.0f} MiB")
                for peer in peers
            ]
        if len(args.rss_issues) >= 2:
            low, high = min(args.rss_issues), max(args.rss_issues)
            growth = peaks[high]["reposix-stream"] / peaks[low]["reposix-stream"]
            rows.append(
                (f"(c) ratio of peak RSS, {high} / {low} issues streamed", f"{growth:.2f}×")
            )

    results["versions"].update(VERSIONS)
    print("| measure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")


def _ratio_cell(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="cmd")
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--issues", type=int, required=True)
    s.add_argument("--latency-ms", type=float, default=0)
    c = sub.add_parser("client")
    c.add_argument("kind", choices=sorted(CLIENTS))
    c.add_argument("url")
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--slow-issues", type=int, default=2_000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--rss-issues", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--peers",
        nargs="*",
        choices=sorted(PEERS),
        metavar="PEER",
        help="Also time the singer-sdk and airbyte-cdk clients in (a) and (c) (all of them "
        "when no PEER is named: singer, airbyte), from the venvs that "
        "`bash benchmarks/peers/setup.sh` creates.",
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="Also write every run, the machine, versions and date to PATH (JSON); "
        "docs/_gen/bench_charts.py draws the benchmarks page's charts from it.",
    )
    args = parser.parse_args()
    if args.cmd == "serve":
        serve(args.port, args.issues, args.latency_ms / 1000)
    elif args.cmd == "client":
        client_main(args.kind, args.url)
    else:
        if args.peers == []:
            args.peers = list(PEERS)
        drive(args)


if __name__ == "__main__":
    main()
