"""Shared fixtures: the connector wired to its wire fake, in-process and offline.

The conformance kit is a pytest plugin that ships with ``reposix-sdk[contract]``
(this package's ``dev`` extra installs it). It adds nothing to a plain ``pytest``
run; this runs every invariant against the connector and its wire fake
(``fake.py``), next to the simulator, and prints the conformance matrix::

    pytest --reposix-contract --reposix-connector {{ cookiecutter.connector_name }}
"""

from __future__ import annotations

import pytest


def pytest_report_header(config: pytest.Config) -> str | None:
    """Remind a plain ``pytest`` run that the conformance kit is one flag away."""
    if config.getoption("reposix_contract", default=False):
        return None
    name = "{{ cookiecutter.connector_name }}"
    return f"reposix: the conformance kit runs with --reposix-contract --reposix-connector {name}"
