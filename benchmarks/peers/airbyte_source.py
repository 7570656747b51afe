# mypy: disallow-subclassing-any=False
# (airbyte_cdk is not installed where mypy runs, so its base classes are Any there.)
"""The airbyte-cdk peer of ``bench_github.py``: a source that lists every issue and counts it.

Run by ``bench_github.py --peers`` as a whole process with the Python of the airbyte venv
that ``benchmarks/peers/setup.sh`` creates (``airbyte-cdk`` pinned in
``requirements-airbyte.txt``): ``python airbyte_source.py URL``. It prints one JSON line,
``{"count", "rss_mib", "listing_s", "versions"}``, as the other clients do.

Written the way the CDK's docs show a newcomer, nothing tuned either way:

- an ``AbstractSource`` with one ``HttpStream``: ``url_base``, ``path``,
  ``request_params``, ``next_page_token`` and ``parse_response``
  (https://docs.airbyte.com/connector-development/cdk-python/http-streams,
  https://docs.airbyte.com/connector-development/cdk-python/full-refresh-stream);
  ``next_page_token`` returns the query of the ``Link`` header's ``rel="next"`` URL
  (``requests``' parsed ``response.links``), and ``request_params`` sends it;
- ``parse_response`` yields the same dict per issue as the plain loop (number, title,
  state, label names, assignee login, timestamps, body);
- the connector's spec (a ``spec.yaml`` in a packaged connector) from ``spec()``, and
  the stream's JSON schema from ``get_json_schema`` (the docs' alternative to a
  ``schemas/issues.json`` file in a package);
- ``TokenAuthenticator`` with the ``Bearer`` method
  (its "Authentication" section: https://docs.airbyte.com/connector-development/cdk-python/http-streams);
- records read through the CDK's normal ``read`` path: ``AirbyteEntrypoint`` with the
  ``read --config ... --catalog ...`` arguments a platform passes, each message printed to
  standard output exactly as ``airbyte_cdk.entrypoint.launch`` does (inside
  ``PRINT_BUFFER``); file descriptor 1 is pointed at ``/dev/null`` first (the place of a
  destination), and the result line goes to the original standard output. The loop is
  ``launch``'s own, plus a count of the RECORD messages it prints.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, MutableMapping
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

# The CDK's own HTTP stack (for type hints); this peer is what reposix is compared with.
import requests  # noqa: TID251
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import ConnectorSpecification, ConnectorSpecificationSerializer
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.requests_native_auth import TokenAuthenticator

OWNER_REPO = "bench-org/bench-repo"

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "title": {"type": ["null", "string"]},
        "state": {"type": ["null", "string"]},
        "labels": {"type": "array", "items": {"type": "string"}},
        "assignee": {"type": ["null", "string"]},
        "created_at": {"type": ["null", "string"], "format": "date-time"},
        "updated_at": {"type": ["null", "string"], "format": "date-time"},
        "body": {"type": "string"},
    },
}


class Issues(HttpStream):
    """GitHub's ``GET /repos/{owner}/{repo}/issues``, every state, oldest first."""

    primary_key = "id"

    def __init__(self, api_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._api_url = api_url.rstrip("/") + "/"

    @property
    def url_base(self) -> str:
        return self._api_url

    def path(self, **kwargs: Any) -> str:
        return f"repos/{OWNER_REPO}/issues"

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        next_url = response.links.get("next", {}).get("url")
        return dict(parse_qsl(urlsplit(next_url).query)) if next_url else None

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        if next_page_token:
            return dict(next_page_token)
        return {"state": "all", "sort": "created", "direction": "asc", "per_page": 100}

    def parse_response(
        self, response: requests.Response, **kwargs: Any
    ) -> Iterable[Mapping[str, Any]]:
        for item in response.json():
            if "pull_request" in item:
                continue
            yield {
                "id": item["number"],
                "title": item["title"],
                "state": item["state"],
                "labels": [lab["name"] for lab in item["labels"]],
                "assignee": (item["assignee"] or {}).get("login"),
                "created_at": item["created_at"],
                "updated_at": item["updated_at"],
                "body": item["body"] or "",
            }

    def get_json_schema(self) -> Mapping[str, Any]:
        return SCHEMA


SPEC = {
    "connectionSpecification": {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "required": ["api_url", "token"],
        "properties": {
            "api_url": {"type": "string"},
            "token": {"type": "string", "airbyte_secret": True},
        },
    }
}


class SourceBenchGitHub(AbstractSource):
    """The source: one stream, configured with the server's URL and a token."""

    def spec(self, logger: Any) -> ConnectorSpecification:
        # The spec.yaml a packaged connector ships beside its module, given inline.
        return ConnectorSpecificationSerializer.load(SPEC)

    def check_connection(self, logger: Any, config: Mapping[str, Any]) -> tuple[bool, Any]:
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        auth = TokenAuthenticator(token=config["token"], auth_method="Bearer")
        return [Issues(config["api_url"], authenticator=auth)]


def main() -> None:
    url = sys.argv[1]
    report = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": "issues",
                    "json_schema": SCHEMA,
                    "supported_sync_modes": ["full_refresh"],
                },
                "sync_mode": "full_refresh",
                "destination_sync_mode": "overwrite",
            }
        ]
    }
    count = 0
    with tempfile.TemporaryDirectory() as tmp:
        config_path, catalog_path = Path(tmp) / "config.json", Path(tmp) / "catalog.json"
        config_path.write_text(json.dumps({"api_url": url, "token": "bench-token-0000"}))
        catalog_path.write_text(json.dumps(catalog))
        entrypoint = AirbyteEntrypoint(SourceBenchGitHub())
        args = ["read", "--config", str(config_path), "--catalog", str(catalog_path)]
        parsed = entrypoint.parse_args(args)
        started = time.perf_counter()
        with PRINT_BUFFER:
            for message in entrypoint.run(parsed):
                if message.startswith('{"type":"RECORD"'):
                    count += 1
                print(f"{message}\n", end="")
        took = time.perf_counter() - started
    sys.stdout.flush()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"count": count, "rss_mib": peak, "listing_s": took}
    versions = {"airbyte-cdk": version("airbyte-cdk")}
    report.write(json.dumps({**result, "versions": versions}) + "\n")
    report.close()


if __name__ == "__main__":
    main()
