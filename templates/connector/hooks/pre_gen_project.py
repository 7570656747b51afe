"""Refuse answers that would generate a broken connector, and say how to fix each one."""

import keyword
import re
import sys

NAME = "{{ cookiecutter.connector_name }}"
PACKAGE = "{{ cookiecutter.package_name }}"
BASE_URL = "{{ cookiecutter.base_url }}"
ENV_VAR = "{{ cookiecutter.credential_env_var }}"
TITLE = """{{ cookiecutter.connector_title }}"""
RESERVED = {"sim", "github", "jira", "confluence", "linear", "rhythm"}

problems = []
if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", NAME):
    problems.append(
        f"connector_name {NAME!r}: use a short lowercase tag: a letter, then letters, "
        "digits, '_' or '-' (at most 32 characters), e.g. acme"
    )
elif NAME in RESERVED:
    problems.append(
        f"connector_name {NAME!r} is taken by a connector that ships with reposix-sdk; "
        f"pick another name (e.g. {NAME}_internal)"
    )
if not TITLE.strip() or len(TITLE) > 40 or any(c in TITLE for c in '"\\`{}'):
    problems.append(
        f"connector_title {TITLE!r}: use a short plain title (at most 40 characters, "
        "no quotes, backslashes, backticks or braces), e.g. Acme Tracker"
    )
if not PACKAGE.isidentifier() or keyword.iskeyword(PACKAGE) or PACKAGE in ("reposix", "reposix_contract"):
    problems.append(
        f"package_name {PACKAGE!r} is not a usable Python package name; use letters, "
        "digits and '_' (the default is reposix_<connector_name>)"
    )
if not re.fullmatch(r"https?://[A-Za-z0-9.\-\[\]:]+(/[A-Za-z0-9._~\-/]*)?", BASE_URL):
    problems.append(
        f"base_url {BASE_URL!r}: give the API root as scheme://host[:port][/prefix], "
        "without query, fragment, credentials or spaces, e.g. https://tracker.acme.example"
    )
if not re.fullmatch(r"[A-Z][A-Z0-9_]*", ENV_VAR):
    problems.append(
        f"credential_env_var {ENV_VAR!r}: use an upper-case environment variable name, "
        f"e.g. {re.sub(r'[^A-Z0-9]+', '_', NAME.upper()).strip('_') or 'ACME'}_TOKEN"
    )
if problems:
    print("cannot generate the connector:", file=sys.stderr)
    for problem in problems:
        print(f"  - {problem}", file=sys.stderr)
    sys.exit(1)
