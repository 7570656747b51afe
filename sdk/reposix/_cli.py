"""The ``reposix`` command line: ``version``, ``sim``, ``list``, ``audit``, ``contract``.

Startup stays fast: each command imports what it needs when it runs, and commands
that live in other packages are registered by ``module:attr`` and imported only when
invoked (``reposix --help`` reads their one-line help from `LAZY_COMMANDS`).
Typed SDK errors print as their message, one paragraph without a traceback (``--debug``
shows it), and exit with `EXIT_CODES`: 0 ok, 1 failure, 2 usage, 3 missing
credentials, 4 egress denied.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reposix._env import SIM_ADMIN_TOKEN, SIM_TOKEN
from reposix._errors import ConfigError, ReposixError
from reposix._version import __version__

if TYPE_CHECKING:
    from reposix._backend import BackendConnector
    from reposix._plugin import ConnectorPlugin
    from reposix._records import Record

__all__ = [
    "EXIT_CODES",
    "EXIT_EGRESS",
    "EXIT_FAILURE",
    "EXIT_MISSING_CREDENTIALS",
    "EXIT_USAGE",
    "LAZY_COMMANDS",
    "SIM_EXTRA_HINT",
    "LazyGroup",
    "cli",
    "exit_code_for",
    "main",
]

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_MISSING_CREDENTIALS = 3
EXIT_EGRESS = 4
EXIT_CODES = {
    0: "ok",
    EXIT_FAILURE: "failure",
    EXIT_USAGE: "usage error",
    EXIT_MISSING_CREDENTIALS: "missing credentials",
    EXIT_EGRESS: "egress denied",
}
"""Every exit status the command line uses, documented in the CLI reference."""


def exit_code_for(error: BaseException) -> int:
    """The exit status for an error: 3 missing credentials, 4 egress denied, else 1."""
    from reposix._errors import EgressDenied, MissingCredentials

    if isinstance(error, MissingCredentials):
        return EXIT_MISSING_CREDENTIALS
    if isinstance(error, EgressDenied):
        return EXIT_EGRESS
    return EXIT_FAILURE


SIM_EXTRA_HINT = "reposix sim: the simulator needs the [sim] extra: pip install 'reposix-sdk[sim]'"

LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    # name: ("module:attr", one-line help shown by `reposix --help`)
    "contract": (
        "reposix_contract._cli:contract",
        "Run the conformance kit and print the matrix.",
    ),
    "doctor": (
        "reposix._cli_ops:doctor",
        "Show connectors, credentials, the allowlist and the audit log.",
    ),
    "get": ("reposix._cli_ops:get", "Print one record as frontmatter Markdown (or JSON)."),
    "sync": ("reposix._cli_ops:sync", "Mirror a project's records into other projects."),
}
"""Commands defined in other packages; a missing module hides its command."""


class LazyGroup(click.Group):
    """A click group that imports `LAZY_COMMANDS` only when one is invoked."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def _available(self, name: str) -> bool:
        module = self.lazy[name][0].partition(":")[0]
        try:
            return importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            return False

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        names.update(name for name in self.lazy if self._available(name))
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in self.lazy:
            return command
        if not self._available(cmd_name):
            return None
        ref = self.lazy[cmd_name][0]
        module_name, _, attr = ref.partition(":")
        try:
            loaded = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            return _unavailable(cmd_name, ref, exc)
        if not isinstance(loaded, click.Command):
            return _unavailable(cmd_name, ref, TypeError(f"{ref} is not a click command"))
        return loaded

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                rows.append((name, self.lazy[name][1]))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if ctx.meta.get("reposix.debug"):
                import traceback

                traceback.print_exc()
            if isinstance(exc, ReposixError):
                click.secho(str(exc), fg="red", err=True)
            else:
                click.secho(
                    f"internal error: {type(exc).__name__}: {exc} "
                    "(rerun with --debug for the traceback, and please report it)",
                    fg="red",
                    err=True,
                )
            ctx.exit(exit_code_for(exc))


def _unavailable(name: str, ref: str, exc: BaseException) -> click.Command:
    def run() -> None:
        raise click.ClickException(
            f"`reposix {name}` is unavailable: importing {ref} failed ({exc}); "
            "install the missing extra, e.g. pip install 'reposix-sdk[contract]'"
        )

    return click.Command(name, callback=run, help=f"(unavailable: {exc})")


@click.group(
    cls=LazyGroup,
    lazy=LAZY_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "-V", "--version", prog_name="reposix")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """reposix: write issue-tracker connectors once, prove them with a conformance kit.

    \b
    Exit status: 0 ok, 1 failure, 2 usage error, 3 missing credentials, 4 egress denied.

    \b
    Examples:
      reposix doctor
      reposix list sim::demo
      reposix get github::octo-org/hello 42 --json
      reposix sync --from sim::demo --to jira::OPS --dry-run
    """
    ctx.meta["reposix.debug"] = debug


@cli.command(short_help="Print the reposix version.")
def version() -> None:
    """Print the reposix version.

    \b
    Examples:
      reposix version
    """
    click.echo(f"reposix {__version__}")


# -- reposix new-connector -----------------------------------------------------------------


def template_dir() -> Path:
    """The connector template: inside an installed wheel, or in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here / "templates" / "connector",
        here.parents[1] / "templates" / "connector",
    ):
        if (candidate / "cookiecutter.json").is_file():
            return candidate
    raise ConfigError(
        "the connector template is not installed",
        hint="reinstall reposix-sdk, or run cookiecutter on templates/connector from a checkout",
    )


TEMPLATE_KEYS = ("connector_title", "package_name", "base_url", "credential_env_var", "author")
"""The template answers ``--set`` accepts (``connector_name`` is the NAME argument)."""

NEW_CONNECTOR_EXTRA_HINT = (
    "reposix new-connector needs cookiecutter, from the conformance kit's extra: "
    "pip install 'reposix-sdk[contract]'"
)


def _scaffold_error(text: str) -> click.UsageError:
    return click.UsageError(text.strip())


@cli.command(
    name="new-connector",
    short_help="Scaffold a connector project that passes the kit.",
)
@click.argument("name")
@click.option("--output-dir", default=".", show_default=True, type=click.Path(file_okay=False))
@click.option(
    "--set",
    "extra",
    multiple=True,
    metavar="KEY=VALUE",
    help="Another template answer (repeatable), e.g. --set credential_env_var=ACME_KEY. "
    f"KEY is one of: {', '.join(TEMPLATE_KEYS)}.",
)
def new_connector(name: str, output_dir: str, extra: tuple[str, ...]) -> None:
    """Scaffold a connector project that passes the conformance kit out of the box.

    NAME is the connector's short lowercase tag (its entry-point name, e.g. acme).
    Bad answers and an existing project directory are usage errors (exit 2),
    checked before anything is written.

    \b
    Examples:
      reposix new-connector acme
      reposix new-connector acme --set credential_env_var=ACME_KEY --output-dir ~/src
    """
    import subprocess

    from reposix._main import missing_modules

    if missing_modules("cookiecutter"):
        click.echo(NEW_CONNECTOR_EXTRA_HINT, err=True)
        raise SystemExit(2)
    from cookiecutter.environment import StrictEnvironment
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.generate import generate_context
    from cookiecutter.main import cookiecutter
    from cookiecutter.prompt import prompt_for_config

    answers = {"connector_name": name}
    for item in extra:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--set")
        if key == "connector_name":
            raise click.BadParameter(
                f"the connector name is the NAME argument: reposix new-connector {value}",
                param_hint="--set",
            )
        if key not in TEMPLATE_KEYS:
            raise click.BadParameter(
                f"unknown key {key!r}; known: {', '.join(TEMPLATE_KEYS)}", param_hint="--set"
            )
        answers[key] = value
    template = template_dir()
    # Render every answer (defaults derive from connector_name) and run the template's own
    # check on them before cookiecutter writes anything: its message is the whole error.
    try:
        context = generate_context(str(template / "cookiecutter.json"), extra_context=answers)
        rendered = dict(prompt_for_config(context, no_input=True))
    except CookiecutterException as exc:
        raise _scaffold_error(f"could not render the template answers: {exc}") from None
    hook = (template / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8")
    env = StrictEnvironment(context={"cookiecutter": rendered}, keep_trailing_newline=True)
    check = subprocess.run(
        [sys.executable, "-c", env.from_string(hook).render(cookiecutter=rendered)],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        raise _scaffold_error(check.stderr or check.stdout)
    target = Path(output_dir) / str(rendered["package_name"])
    if target.exists():
        raise _scaffold_error(
            f"{target} already exists: remove it, or scaffold elsewhere with --output-dir"
        )
    # The template's hook prints what is wrong; cookiecutter's own log adds only a traceback.
    logging.getLogger("cookiecutter").setLevel(logging.CRITICAL)
    try:
        made = cookiecutter(
            str(template),
            no_input=True,
            extra_context={k: rendered[k] for k in answers},
            output_dir=output_dir,
        )
    except (CookiecutterException, OSError) as exc:
        raise click.ClickException(f"could not scaffold the connector: {exc}") from None
    click.echo(f"created {made}")
    click.echo(
        f"next: cd {made} && pip install -e '.[dev]' && pytest --reposix-contract "
        f"--reposix-connector {rendered['connector_name']}"
    )


# -- reposix audit -------------------------------------------------------------------------


@cli.group(short_help="Inspect the audit log of requests.")
def audit() -> None:
    """Inspect the audit log of requests.

    \b
    Examples:
      reposix audit verify
    """


@audit.command(name="verify", short_help="Check the audit log's hash chain.")
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="Audit database (default: $REPOSIX_AUDIT_DB, else ~/.local/state/reposix/audit.db).",
)
def audit_verify(db: str | None) -> None:
    """Check the audit log's hash chain; name the first broken link and exit 1 if any.

    \b
    Examples:
      reposix audit verify
      reposix audit verify --db /var/lib/reposix/audit.db
    """
    from reposix._audit import AUDIT_ENV, default_audit_path, verify
    from reposix._env import AUDIT_DB

    path = db or default_audit_path()
    if not Path(path).is_file():
        # The hint follows how the path was given: --db, the env var, or the default.
        if db:
            hint = "check the --db path (without --db, the log is $REPOSIX_AUDIT_DB's path)"
        elif AUDIT_DB.get():
            hint = f"{AUDIT_ENV} names this path: point it at the audit database, or pass --db"
        else:
            hint = (
                "nothing was audited here yet, or the log is elsewhere: "
                f"pass --db or set {AUDIT_ENV}"
            )
        raise ConfigError(f"no audit database at {path!r}", hint=hint)
    result = verify(path)
    if result.ok:
        head = result.head[:16] if result.head else "(empty log)"
        click.echo(f"ok: {result.rows} rows, chain intact, head {head} ({result.path})")
        return
    where = f" at row {result.broken_at}" if result.broken_at is not None else ""
    click.secho(
        f"audit log broken{where}: {result.problem} ({result.rows} rows before it verified; "
        f"{result.path})",
        fg="red",
        err=True,
    )
    raise SystemExit(1)


# -- reposix sim ---------------------------------------------------------------------------


@cli.command(short_help="Serve the simulator over HTTP.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=7878, show_default=True, type=int, help="0 picks a free port.")
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(dir_okay=False),
    help="JSON seed file (default: the built-in demo seed).",
)
@click.option("--no-seed", is_flag=True, help="Start without any projects.")
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    help="SQLite file to keep state in across restarts (default: memory only).",
)
@click.option(
    "--token",
    envvar=SIM_TOKEN.name,
    help="Require this bearer token on every request but /healthz [env: REPOSIX_SIM_TOKEN].",
)
@click.option(
    "--fault-injection",
    is_flag=True,
    help="Turn on the /_admin/faults endpoints (they need the admin token).",
)
@click.option(
    "--admin-token",
    envvar=SIM_ADMIN_TOKEN.name,
    help="Token for /_admin in the X-Reposix-Admin-Token header (implies --fault-injection; "
    "generated and printed if omitted) [env: REPOSIX_SIM_ADMIN_TOKEN].",
)
@click.option("--page-size", default=30, show_default=True, type=click.IntRange(1))
@click.option("--max-page-size", default=100, show_default=True, type=click.IntRange(1))
@click.option(
    "--rate-limit", type=click.IntRange(1), help="Allow N requests per --rate-window, then 429."
)
@click.option("--rate-window", default=60.0, show_default=True, type=click.FloatRange(0.001))
@click.option(
    "--latency", default=0.0, type=click.FloatRange(0), help="Seconds added to each response."
)
@click.option(
    "--fail",
    "schedule",
    default="",
    help="Comma-separated fault schedule, one entry per request (e.g. 429,500,ok).",
)
@click.option("--decoys", is_flag=True, help="Add decoy url/html_url fields to every record.")
@click.option("--print-seed", is_flag=True, help="Print the built-in demo seed as JSON and exit.")
@click.option(
    "--log-level",
    default="warning",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def sim(
    host: str,
    port: int,
    seed_file: str | None,
    no_seed: bool,
    db: str | None,
    token: str | None,
    fault_injection: bool,
    admin_token: str | None,
    page_size: int,
    max_page_size: int,
    rate_limit: int | None,
    rate_window: float,
    latency: float,
    schedule: str,
    decoys: bool,
    print_seed: bool,
    log_level: str,
) -> None:
    """Serve the simulator over HTTP (demo seed, faults, optional SQLite).

    \b
    Examples:
      reposix sim
      reposix sim --port 0 --db sim.db --fail 429,500,ok
    """
    import json
    import secrets

    from reposix._main import missing_modules

    if missing_modules("starlette", "uvicorn"):
        click.echo(SIM_EXTRA_HINT, err=True)
        raise SystemExit(2)
    from reposix._errors import ConfigError
    from reposix.sim._app import SimApp
    from reposix.sim._faults import Faults
    from reposix.sim._seed import DEMO_SEED, apply_seed, load_seed_file
    from reposix.sim._server import bind, serve, url_for
    from reposix.sim._store import SimStore

    if print_seed:
        click.echo(json.dumps(DEMO_SEED, indent=2, ensure_ascii=False))
        return
    if page_size > max_page_size:
        raise ConfigError(f"--page-size {page_size} exceeds --max-page-size {max_page_size}")
    if seed_file and no_seed:
        raise ConfigError("--seed and --no-seed contradict each other; pick one")
    try:
        faults = Faults(
            schedule=[e.strip() for e in schedule.split(",") if e.strip()],
            latency=latency,
            rate_limit=rate_limit,
            rate_window=rate_window,
            decoys=decoys,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    seed = load_seed_file(seed_file) if seed_file else None
    store = SimStore(db or ":memory:")
    if no_seed:
        seeded = "disabled"
    elif store.projects():
        seeded = "skipped: the database already has projects"
    else:
        count = apply_seed(store, seed)
        seeded = f"{seed_file or 'built-in demo'}, {count} records"
    if admin_token is not None and not admin_token.strip():
        raise ConfigError("--admin-token is empty", hint="omit it to have one generated")
    generated = fault_injection and not admin_token
    if generated:
        admin_token = secrets.token_urlsafe(24)
    app = SimApp(
        store,
        faults=faults,
        token=token or None,
        admin_token=admin_token or None,
        default_page_size=page_size,
        max_page_size=max_page_size,
    )
    sock = bind(host, port)
    click.echo(
        f"reposix sim: listening on {url_for(sock)} (seed: {seeded}; "
        f"storage: {db or 'memory'}; auth: {'bearer token' if token else 'none'}) "
        "— Ctrl-C to stop",
        err=True,
    )
    if admin_token:
        shown = admin_token if generated else "<the --admin-token value>"
        click.echo(
            "reposix sim: fault injection on: /_admin/faults needs the header "
            f"X-Reposix-Admin-Token: {shown}",
            err=True,
        )
    if not token and host not in ("127.0.0.1", "localhost", "::1"):
        click.secho(
            f"warning: {host} is not loopback and no --token is set: anyone who can reach "
            "this port can read and write the simulator",
            fg="yellow",
            err=True,
        )
    try:
        serve(app, sock, log_level=log_level)
    finally:
        store.close()


# -- reposix list --------------------------------------------------------------------------


def load_connector_plugin(name: str) -> ConnectorPlugin[BackendConnector]:
    """The plugin called ``name``, importing only that entry point."""
    from importlib.metadata import entry_points

    from reposix._errors import ConfigError
    from reposix._plugin import ENTRY_POINT_GROUP, ConnectorPlugin

    if name == "sim":
        from reposix.sim._plugin import plugin

        return plugin
    found = entry_points(group=ENTRY_POINT_GROUP)
    for ep in found:
        if ep.name == name:
            loaded = ep.load()
            if not isinstance(loaded, ConnectorPlugin):
                raise ConfigError(f"entry point {name!r} is not a reposix.ConnectorPlugin")
            return loaded
    names = ", ".join(sorted({ep.name for ep in found} | {"sim"}))
    raise ConfigError(f"no connector named {name!r}", hint=f"installed connectors: {names}")


def build_connector(name: str, url: str | None, page_size: int | None) -> BackendConnector:
    """Build a connector from its plugin, reading its env vars (it decides which it needs)."""
    from reposix._runtime import Runtime

    return load_connector_plugin(name).from_env(url, Runtime(page_size=page_size))


async def _stream(
    connector: BackendConnector,
    project: str,
    emit: Callable[[list[Record]], None],
    *,
    show_progress: bool,
) -> tuple[int, bool]:
    """Hand each page of ``project`` to ``emit`` as it arrives: ``(records, is_complete)``."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn

    console = Console(stderr=True)
    async with connector:
        with Progress(
            SpinnerColumn(),
            TextColumn("listing {task.description}"),
            TextColumn("{task.completed:.0f} records"),
            console=console,
            transient=True,
            disable=not (show_progress and console.is_terminal),
        ) as progress:
            task = progress.add_task(project, total=None)
            connector.add_progress_hook(lambda n: progress.advance(task, n))
            async with connector.iter_records(project) as stream:
                async for page in stream.pages():
                    emit(page)
            return stream.count, stream.is_complete


@cli.command(name="list", short_help="List a project's records, page by page.")
@click.argument("target", required=False, metavar="[URL-OR-SPEC]")
@click.option("--url", help="Base URL of the tracker (default: the connector's default).")
@click.option("--project", default="demo", show_default=True)
@click.option("--connector", "connector_name", default="sim", show_default=True)
@click.option("--page-size", type=click.IntRange(1), help="Records per request.")
@click.option("--json", "as_json", is_flag=True, help="Print records as JSON lines.")
def list_(
    target: str | None,
    url: str | None,
    project: str,
    connector_name: str,
    page_size: int | None,
    as_json: bool,
) -> None:
    """List a project's records as a table, printed page by page as they arrive.

    With --json it prints one JSON object per line and flushes after every page, so a
    pipe sees records while the listing goes on.

    \b
    Examples:
      reposix list sim::demo
      reposix list reposix::https://api.github.com/projects/octo-org/hello --json
      reposix list --connector jira --project OPS
    """
    import asyncio

    from rich import box
    from rich.table import Table
    from rich.text import Text

    if target is not None:  # a remote URL or spec names connector, origin and project
        from reposix._cli_ops import connect_target

        parsed, connector = connect_target(target, page_size)
        connector_name, project = parsed.connector, parsed.project
    else:
        connector = build_connector(connector_name, url, page_size)
    from reposix._cli_ops import output_console, print_table
    from reposix._records import RecordStatus

    out = output_console()
    # On a terminal the table fills its width; piped, rows are never cut or wrapped.
    fill = out.is_terminal
    status_width = max(len(s.value) for s in RecordStatus)
    first = True

    def json_lines(page: list[Record]) -> None:
        sys.stdout.write("".join(record.model_dump_json() + "\n" for record in page))
        sys.stdout.flush()

    def table_rows(page: list[Record]) -> None:
        # One table per page, same column ratios and no outer edge, so the pages read
        # as one table while each is printed as soon as it arrives.
        nonlocal first
        table = Table(
            title=f"{connector_name}: {project}" if first else None,
            show_header=first,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            expand=fill,
        )
        # status and updated have fixed widths (every value fits, so none is cut to
        # "in_pr…" and the pages line up); the free columns share what is left.
        table.add_column("id", no_wrap=True, justify="right", ratio=1 if fill else None)
        table.add_column("status", no_wrap=True, min_width=status_width)
        table.add_column("title", overflow="fold", ratio=5 if fill else None)
        table.add_column("assignee", overflow="fold", ratio=2 if fill else None)
        table.add_column("labels", overflow="fold", ratio=2 if fill else None)
        table.add_column("updated", no_wrap=True, min_width=len("2026-01-01 00:00"))
        for r in page:
            cells = (
                str(r.id),
                r.status.value,
                r.title,
                r.assignee or "",
                ", ".join(r.labels),
                r.updated_at.strftime("%Y-%m-%d %H:%M"),
            )
            table.add_row(*(Text(cell) for cell in cells))  # Text: titles are not markup
        print_table(out, table)
        first = False

    count, complete = asyncio.run(
        _stream(
            connector,
            project,
            json_lines if as_json else table_rows,
            show_progress=not as_json,
        )
    )
    note = "" if complete else " (truncated: more records exist)"
    click.echo(f"{count} records{note}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="reposix")


if __name__ == "__main__":  # python -m reposix._cli
    main()
