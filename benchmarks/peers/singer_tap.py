# mypy: disallow-subclassing-any=False
# (singer_sdk is not installed where mypy runs, so its base classes are Any there.)
"""The singer-sdk peer of ``bench_github.py``: a tap that lists every issue and counts it.

Run by ``bench_github.py --peers`` as a whole process with the Python of the singer venv
that ``benchmarks/peers/setup.sh`` creates (``singer-sdk`` pinned in
``requirements-singer.txt``): ``python singer_tap.py URL``. It prints one JSON line,
``{"count", "rss_mib", "listing_s", "versions"}``, as the other clients do.

Written the way singer-sdk's docs show a newcomer, nothing tuned either way:

- a ``Tap`` with one ``RESTStream`` whose ``schema`` is a ``th.PropertiesList`` naming the
  fields the plain loop keeps (https://sdk.meltano.com/en/latest/dev_guide.html,
  https://sdk.meltano.com/en/latest/classes/singer_sdk.RESTStream.html); records are
  taken from the response with the default ``records_jsonpath`` (``$[*]``) and conformed to
  the schema by the SDK;
- ``Link`` pagination with the SDK's own ``HeaderLinkPaginator`` (a
  ``BaseHATEOASPaginator`` reading ``rel="next"``), the next page's query parsed from its
  URL in ``get_url_params`` as the SDK's examples do
  (https://sdk.meltano.com/en/latest/guides/pagination-classes.html,
  https://sdk.meltano.com/en/main/classes/singer_sdk.pagination.BaseHATEOASPaginator.html);
- ``BearerTokenAuthenticator`` (https://sdk.meltano.com/en/latest/classes/singer_sdk.authenticators.BearerTokenAuthenticator.html);
- ``Tap.sync_all()``, the SDK's normal sync, writes SCHEMA, RECORD and STATE messages to
  standard output as a tap does; file descriptor 1 is pointed at ``/dev/null`` first (the
  place of a target at the other end of the pipe), and the result line goes to the
  original standard output. Records are counted in ``post_process``, the SDK's per-record
  hook, so the count is of records handed to the message writer.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from importlib.metadata import version
from typing import Any
from urllib.parse import parse_qsl

from singer_sdk import RESTStream, Tap
from singer_sdk import typing as th
from singer_sdk.authenticators import BearerTokenAuthenticator
from singer_sdk.pagination import HeaderLinkPaginator

OWNER_REPO = "bench-org/bench-repo"
COUNT = [0]


class IssuesStream(RESTStream[Any]):
    """GitHub's ``GET /repos/{owner}/{repo}/issues``, every state, oldest first."""

    name = "issues"
    path = f"/repos/{OWNER_REPO}/issues"
    primary_keys = ("number",)
    replication_key = None
    schema = th.PropertiesList(
        th.Property("number", th.IntegerType),
        th.Property("title", th.StringType),
        th.Property("state", th.StringType),
        th.Property("labels", th.ArrayType(th.ObjectType(th.Property("name", th.StringType)))),
        th.Property("assignee", th.ObjectType(th.Property("login", th.StringType))),
        th.Property("created_at", th.DateTimeType),
        th.Property("updated_at", th.DateTimeType),
        th.Property("body", th.StringType),
    ).to_dict()

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"])

    @property
    def authenticator(self) -> BearerTokenAuthenticator:
        return BearerTokenAuthenticator(token=self.config["token"])

    def get_new_paginator(self) -> HeaderLinkPaginator:
        return HeaderLinkPaginator()

    def get_url_params(self, context: Any, next_page_token: Any) -> dict[str, Any]:
        if next_page_token:
            return dict(parse_qsl(next_page_token.query))
        return {"state": "all", "sort": "created", "direction": "asc", "per_page": 100}

    def post_process(self, row: dict[str, Any], context: Any = None) -> dict[str, Any]:
        COUNT[0] += 1
        return row


class TapBenchGitHub(Tap):
    """The tap: one stream, configured with the server's URL and a token."""

    name = "tap-bench-github"
    config_jsonschema = th.PropertiesList(
        th.Property("api_url", th.StringType, required=True),
        th.Property("token", th.StringType, required=True, secret=True),
    ).to_dict()

    def discover_streams(self) -> list[IssuesStream]:
        return [IssuesStream(self)]


def main() -> None:
    url = sys.argv[1]
    report = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    tap = TapBenchGitHub(config={"api_url": url, "token": "bench-token-0000"})
    started = time.perf_counter()
    tap.sync_all()
    took = time.perf_counter() - started
    sys.stdout.flush()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"count": COUNT[0], "rss_mib": peak, "listing_s": took}
    versions = {"singer-sdk": version("singer-sdk")}
    report.write(json.dumps({**result, "versions": versions}) + "\n")
    report.close()


if __name__ == "__main__":
    main()
