"""Remote-URL dispatch over every declared form and every malformed variant (ADR-008)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reposix import (
    BackendConnector,
    ConfigError,
    ConnectorPlugin,
    Credentials,
    MemoryAuditSink,
    MissingCredentials,
    RemoteUrlError,
    Runtime,
    UrlForm,
    instantiate,
    load_plugins,
    parse_remote_url,
    resolve,
    sanitize_project_for_cache,
    spec_to_url,
    url_to_spec,
)
from reposix._dispatch import installed_forms
from reposix._urlforms import compile_form

ENV = {"REPOSIX_JIRA_INSTANCE": "acme", "REPOSIX_CONFLUENCE_TENANT": "acme"}

GOOD = [
    # (url, connector, origin, project, base_url)
    ("reposix::http://127.0.0.1:7878/projects/demo", "sim", "http://127.0.0.1:7878", "demo", None),
    ("http://localhost:9000/projects/demo", "sim", "http://localhost:9000", "demo", None),
    ("http://[::1]:7878/projects/demo", "sim", "http://[::1]:7878", "demo", None),
    ("http://127.0.0.2:7878/projects/demo/", "sim", "http://127.0.0.2:7878", "demo", None),
    ("http://127.0.0.1/projects/demo", "sim", "http://127.0.0.1", "demo", None),
    (
        "reposix::https://api.github.com/projects/octo/hello",
        "github",
        "https://api.github.com",
        "octo/hello",
        "https://api.github.com",
    ),
    (
        "https://github.com/octo/hello",
        "github",
        "https://github.com",
        "octo/hello",
        "https://api.github.com",
    ),
    (
        "https://ghe.corp.example:8443/github/projects/octo/hello",
        "github",
        "https://ghe.corp.example:8443",
        "octo/hello",
        "https://ghe.corp.example:8443/api/v3",
    ),
    (
        "https://acme.atlassian.net/jira/projects/KEY",
        "jira",
        "https://acme.atlassian.net",
        "KEY",
        "https://acme.atlassian.net",
    ),
    (
        "https://acme.atlassian.net/confluence/projects/SPACE",
        "confluence",
        "https://acme.atlassian.net",
        "SPACE",
        "https://acme.atlassian.net",
    ),
    (
        "https://acme.atlassian.net/wiki/spaces/~me",
        "confluence",
        "https://acme.atlassian.net",
        "~me",
        "https://acme.atlassian.net",
    ),
    (
        "reposix::reposix::https://api.github.com/projects/o/r",
        "github",
        "https://api.github.com",
        "o/r",
        "https://api.github.com",
    ),
]


@pytest.mark.parametrize(("url", "connector", "origin", "project", "base"), GOOD)
def test_every_form_dispatches(
    url: str, connector: str, origin: str, project: str, base: str | None
) -> None:
    parsed = parse_remote_url(url)
    assert (parsed.connector, parsed.origin, parsed.project) == (connector, origin, project)
    assert parsed.base_url == (base or origin)


BAD = [
    # (url, reason, text the message must contain)
    ("https://acme.atlassian.net/projects/KEY", "marker", "/jira/"),
    ("https://acme.atlassian.net/KEY", "marker", "/confluence/"),
    ("https://user:hunter2@api.github.com/projects/o/r", "userinfo", "never used"),
    ("ftp://api.github.com/projects/o/r", "scheme", "ftp"),
    ("http://api.github.com/projects/o/r", "scheme", "https"),
    ("http://127.0.0.1:99999/projects/demo", "port", "1 to 65535"),
    ("http://127.0.0.1:0/projects/demo", "port", "1 to 65535"),
    ("http://127.0.0.1:http/projects/demo", "port", "1 to 65535"),
    ("https://api.github.com:444/projects/o/r", "port", "takes no port"),
    ("https://api.github.com/projects/o/r?token=x", "query", "query"),
    ("https://api.github.com/projects/o/r#frag", "query", "fragment"),
    ("https://api.github.com/projects/o%2Fr/x", "encoded-slash", "percent-encoded"),
    ("https://api.github.com/projects/o%5cr/x", "encoded-slash", "percent-encoded"),
    ("https://api.github.com/projects/../r", "dot-segment", ".."),
    ("http://127.0.0.1:7878/projects/./demo", "dot-segment", ".."),
    ("https://api.github.com/projects/", "empty-project", "empty"),
    ("https://acme.atlassian.net/jira/projects/", "empty-project", "empty"),
    ("http://127.0.0.1:7878/projects//", "empty-project", "empty"),
    ("https://api.github.com/projects/o", "shape", "{owner}/{repo}"),
    ("https://api.github.com/projects/o//r", "shape", "empty path segment"),
    ("https://tracker.evil.example/projects/a", "unknown-host", "tracker.evil.example"),
    ("https://-bad-.atlassian.net/jira/projects/K", "unknown-host", "-bad-"),
    ("api.github.com/projects/o/r", "not-a-url", "not a remote URL"),
    ("http://[::1/projects/demo", "shape", "not a URL"),
    ("http://[zz]/projects/demo", "shape", "not a URL"),
    ("http://127.0.0.1:7878/projects/a b", "character", "no spaces"),
    ("http://127.0.0.1:7878/projects/a\x00b", "character", "control characters"),
]


@pytest.mark.parametrize(("url", "reason", "says"), BAD)
def test_malformed_forms_are_typed_errors(url: str, reason: str, says: str) -> None:
    with pytest.raises(RemoteUrlError) as info:
        parse_remote_url(url)
    assert info.value.reason == reason
    assert says in str(info.value)
    assert isinstance(info.value, ConfigError)
    assert "hunter2" not in str(info.value)


def test_userinfo_is_redacted_in_every_message() -> None:
    for url in (
        "https://alice:s3cr3t@acme.atlassian.net/projects/K",
        "ftp://alice:s3cr3t@x/y",
        "s3cr3t@nothing",
    ):
        with pytest.raises(RemoteUrlError) as info:
            resolve(url)
        assert "s3cr3t" not in str(info.value), url


@pytest.mark.parametrize(
    ("spec", "url"),
    [
        ("sim::demo", "http://127.0.0.1:7878/projects/demo"),
        ("github::octo/hello", "https://api.github.com/projects/octo/hello"),
        ("jira::KEY", "https://acme.atlassian.net/jira/projects/KEY"),
        ("confluence::SPACE", "https://acme.atlassian.net/confluence/projects/SPACE"),
    ],
)
def test_spec_translates_to_canonical_url_and_back(spec: str, url: str) -> None:
    assert spec_to_url(spec, environ=ENV) == url
    assert url_to_spec(url) == spec
    assert resolve(spec, environ=ENV).url == url


def test_spec_without_site_names_the_variable() -> None:
    with pytest.raises(RemoteUrlError, match="REPOSIX_JIRA_INSTANCE"):
        spec_to_url("jira::KEY", environ={})


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("REPOSIX_JIRA_INSTANCE", "https://acme.atlassian.net"),
        ("REPOSIX_JIRA_INSTANCE", "acme.atlassian.net"),
        ("REPOSIX_CONFLUENCE_TENANT", "https://acme.atlassian.net/wiki"),
        ("REPOSIX_CONFLUENCE_TENANT", "my tenant"),
    ],
)
def test_a_site_variable_holding_a_url_is_named_with_the_fix(var: str, value: str) -> None:
    # A full URL in REPOSIX_JIRA_INSTANCE (the likely first guess) used to be pasted into
    # the host and refused as "not a URL (Invalid IPv6 URL)".
    spec = "jira::KEY" if "JIRA" in var else "confluence::SPACE"
    with pytest.raises(RemoteUrlError) as info:
        spec_to_url(spec, environ={var: value})
    assert info.value.reason == "unknown-host"
    assert var in info.value.message
    assert repr(value) in info.value.message
    assert info.value.hint == f"e.g. {var}=acme for https://acme.atlassian.net"


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("nosuch::x", "unknown-connector"),
        ("github::onlyowner", None),
        ("github::o/../r", "dot-segment"),
        ("github::", "not-a-url"),
        ("::x", "not-a-url"),
        ("sim::a b", "character"),
    ],
)
def test_malformed_specs(spec: str, reason: str | None) -> None:
    with pytest.raises(ConfigError) as info:
        spec_to_url(spec, environ=ENV)
    if reason is not None:
        assert isinstance(info.value, RemoteUrlError)
        assert info.value.reason == reason


_SEGMENT = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.~-]{0,20}", fullmatch=True).filter(
    lambda s: s not in (".", "..")
)


@given(
    connector=st.sampled_from(["sim", "github", "jira", "confluence"]),
    segments=st.lists(_SEGMENT, min_size=2, max_size=2),
)
def test_spec_url_round_trip(connector: str, segments: list[str]) -> None:
    project = "/".join(segments) if connector == "github" else segments[0]
    spec = f"{connector}::{project}"
    url = spec_to_url(spec, environ=ENV)
    assert url_to_spec(url) == spec
    assert parse_remote_url("reposix::" + url).project == project
    assert spec_to_url(url_to_spec(url), environ=ENV) == url


@given(st.text(max_size=40))
def test_sanitize_is_idempotent_and_file_safe(project: str) -> None:
    once = sanitize_project_for_cache(project)
    assert sanitize_project_for_cache(once) == once
    assert not {"/", "\\", ":"} & set(once)


def test_sanitize_examples_from_the_adr() -> None:
    assert sanitize_project_for_cache("reubenjohn/reposix") == "reubenjohn-reposix"
    assert sanitize_project_for_cache("TokenWorld") == "TokenWorld"
    assert sanitize_project_for_cache("a\\b:c") == "a-b-c"


# -- third-party plugins and conflicts -----------------------------------------------------


def _never(base_url: str, credentials: Credentials, runtime: Runtime) -> BackendConnector:
    raise NotImplementedError("dispatch tests never build")


def _plugin(name: str, *forms: str | UrlForm) -> ConnectorPlugin[BackendConnector]:
    return ConnectorPlugin(name=name, build=_never, default_base_url="", url_forms=forms)


def test_third_party_plugin_takes_part_through_its_declaration() -> None:
    plugins = {
        **load_plugins(),
        "acme": _plugin("acme", "https://tracker.acme.example/projects/{project}"),
    }
    parsed = parse_remote_url("https://tracker.acme.example/projects/WIDGETS", plugins=plugins)
    assert (parsed.connector, parsed.project) == ("acme", "WIDGETS")


def test_two_plugins_claiming_one_form_fail_at_load(monkeypatch: pytest.MonkeyPatch) -> None:
    import reposix._plugin as plugin_module

    class EP:
        def __init__(self, name: str, value: object) -> None:
            self.name, self.value = name, value

        def load(self) -> object:
            return self.value

    eps = [
        EP("one", _plugin("one", "https://x.example/projects/{p}")),
        EP("two", _plugin("two", "https://X.example/projects/{q}")),
    ]
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: eps)
    with pytest.raises(ConfigError, match="both claim the remote-URL form"):
        plugin_module.load_plugins()


def test_same_connector_may_declare_overlapping_forms() -> None:
    forms = installed_forms(
        {"a": _plugin("a", "https://x.example/p/{a}", "https://x.example/p/{a}/{b}")}
    )
    assert [f.canonical for f in forms] == [True, False]


@pytest.mark.parametrize(
    "template",
    [
        "https://x.example",
        "https://x.example/projects",
        "https://{host}/{project}",
        "https://x.example/{a}/lit",
        "https://x.example/{a+}/{b+}",
        "https://x.example/{a}/{a}",
        "notaurl",
    ],
)
def test_malformed_declarations_are_refused(template: str) -> None:
    with pytest.raises(ConfigError, match="malformed url form"):
        compile_form("bad", template, canonical=True)


def test_literal_port_in_a_declaration_must_match() -> None:
    plugins = {"lp": _plugin("lp", "http://localhost:8080/projects/{project}")}
    parsed = parse_remote_url("http://localhost:8080/projects/X", plugins=plugins)
    assert (parsed.connector, parsed.origin) == ("lp", "http://localhost:8080")
    for url in ("http://localhost:9090/projects/X", "http://localhost/projects/X"):
        with pytest.raises(RemoteUrlError, match="takes port 8080") as info:
            parse_remote_url(url, plugins=plugins)
        assert info.value.reason == "port"
    with pytest.raises(ConfigError, match="not from 1 to 65535"):
        compile_form("lp", "http://localhost:70000/projects/{project}", canonical=True)


def test_scheme_forms_name_a_project_on_the_default_server() -> None:
    plugin = ConnectorPlugin(
        name="rh",
        build=_never,
        default_base_url="http://localhost:8080",
        url_forms=("rh://{org}/{project}", "https://rh.example/projects/{org}/{project}"),
    )
    plugins = {"rh": plugin}
    parsed = parse_remote_url("reposix::rh://Acme/tracker", plugins=plugins)
    assert (parsed.connector, parsed.project) == ("rh", "Acme/tracker")
    assert (parsed.origin, parsed.base_url) == ("http://localhost:8080", "http://localhost:8080")
    assert spec_to_url("rh::Acme/tracker", plugins=plugins) == "rh://Acme/tracker"
    for url, reason in [
        ("rh://Acme", "shape"),
        ("rh://Acme/../x", "dot-segment"),
        ("rh://Acme:80/x", "port"),
        ("rh://u:pw@Acme/x", "userinfo"),
        ("rh://Acme//x", "shape"),
        ("rh:///", "empty-project"),
    ]:
        with pytest.raises(RemoteUrlError) as info:
            parse_remote_url(url, plugins=plugins)
        assert info.value.reason == reason, url
    with pytest.raises(ConfigError, match="both claim"):
        installed_forms({"rh": plugin, "rh2": _plugin("rh2", "rh://{a}")})


def test_self_managed_form_on_a_loopback_host_is_not_swallowed_by_the_sim() -> None:
    plugins = {
        **load_plugins(),
        "rh": _plugin("rh", "http://{host}/rh/projects/{org}/{project}"),
    }
    parsed = parse_remote_url("http://localhost:8080/rh/projects/acme/tracker", plugins=plugins)
    assert (parsed.connector, parsed.project) == ("rh", "acme/tracker")
    assert parse_remote_url("http://localhost:8080/projects/demo", plugins=plugins).connector == (
        "sim"
    )


def test_nested_slot_takes_several_segments() -> None:
    plugins = {
        "lab": _plugin(
            "lab", UrlForm("https://{host}/lab/projects/{path+}", base_url="{origin}/api/v4")
        )
    }
    parsed = parse_remote_url("https://git.corp/lab/projects/a/b/c/d", plugins=plugins)
    assert parsed.project == "a/b/c/d"
    assert parsed.base_url == "https://git.corp/api/v4"


# -- instantiation ---------------------------------------------------------------------------


def test_instantiate_audits_connector_project_and_file_safe_project() -> None:
    sink = MemoryAuditSink()
    parsed = parse_remote_url("https://api.github.com/projects/octo/hello")
    connector = instantiate(parsed, runtime=Runtime(audit=sink), environ={"GITHUB_TOKEN": "t0k"})
    assert connector.name == "github"
    (event,) = list(sink)
    assert (event.connector, event.op, event.method) == ("github", "dispatch", "INIT")
    assert "project=octo%2Fhello" in event.url
    assert "cache=octo-hello" in event.url
    assert "t0k" not in event.url


def test_missing_credentials_list_every_variable_with_the_docs_page() -> None:
    parsed = parse_remote_url("https://acme.atlassian.net/jira/projects/KEY")
    with pytest.raises(MissingCredentials) as info:
        instantiate(parsed, runtime=Runtime(audit=MemoryAuditSink()), environ={})
    text = str(info.value)
    assert "\n    JIRA_EMAIL\n" in text + "\n"
    assert "\n    JIRA_API_TOKEN" in text
    assert "docs: " in text


_URLISH = st.builds(
    "".join,
    st.lists(
        st.sampled_from(
            [
                "reposix::",
                "http",
                "https",
                "rhythm",
                "://",
                "[",
                "]",
                "::1",
                "@",
                ":",
                "/",
                "%2F",
                "..",
                "projects",
                "jira",
                "acme.atlassian.net",
                "api.github.com",
                "127.0.0.1",
                "?",
                "#",
                "x",
                "99999",
                "\\",
                " ",
                "é",
            ]
        ),
        max_size=12,
    ),
)


@given(st.one_of(_URLISH, st.text(max_size=60)))
def test_any_input_is_parsed_or_refused_with_a_typed_error(text: str) -> None:
    try:
        parsed = resolve(text, environ=ENV)
    except ConfigError:
        return
    assert parsed.project
    assert ".." not in parsed.project.split("/")


@pytest.mark.parametrize("url", ["https://example.com/a/b", "https://example.com"])
def test_an_unknown_host_lists_the_forms_one_per_line_under_their_connector(url: str) -> None:
    # The fix text used to put every installed form (19 of them) on one `fix:` line.
    with pytest.raises(RemoteUrlError) as info:
        parse_remote_url(url)
    assert info.value.reason == "unknown-host"
    forms = installed_forms()
    hint = info.value.hint or ""
    lines = hint.splitlines()
    assert lines[0].endswith("forms:")
    templates = [line.strip() for line in lines if line.startswith("      ")]
    assert sorted(templates) == sorted(f.template for f in forms)  # each once, alone
    heads = [line.strip() for line in lines[1:] if not line.startswith("      ")]
    assert heads == [f"{c}:" for c in sorted({f.connector for f in forms})]
    for form in forms:  # each form sits under its own connector's heading
        at = lines.index(f"      {form.template}")
        above = next(line for line in reversed(lines[:at]) if not line.startswith("      "))
        assert above == f"    {form.connector}:"
    text = str(info.value)
    assert text.count("\n  fix: ") == 1
    assert all(len(line) < 80 for line in lines)
