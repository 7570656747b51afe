"""``reposix doctor``, ``reposix get`` and ``reposix sync`` (registered lazily by ``_cli``).

Targets are remote URLs or friendly specs (``sim::demo``, ``github::owner/repo``), resolved
by `reposix._dispatch`. Exit codes are those of `EXIT_CODES`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from reposix._cli import EXIT_FAILURE, exit_code_for

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from reposix._backend import BackendConnector
    from reposix._dispatch import ParsedRemote
    from reposix._plugin import ConnectorPlugin
    from reposix._sync import JobResult

__all__ = ["connect_target", "doctor", "get", "output_console", "sync"]


def output_console(*, stderr: bool = False) -> Console:
    """A console for tables: the terminal's width, or unbounded when piped.

    Piped output never wraps, so a row stays on one line for ``grep`` and ``cut`` and no
    word is broken; on a terminal, cells wrap between words to fit its width.
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=100_000, no_color=True, soft_wrap=True)


def print_table(out: Console, table: Table) -> None:
    """Print ``table`` without the trailing blanks rich pads lines with."""
    with out.capture() as captured:
        out.print(table)
    text = "\n".join(line.rstrip() for line in captured.get().splitlines())
    out.file.write(text.strip("\n") + "\n")
    out.file.flush()


def _table(*columns: str, title: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for name in columns:
        table.add_column(name, overflow="fold")
    return table


def _row(table: Table, *cells: str) -> None:
    from rich.text import Text

    table.add_row(*(Text(c) for c in cells))  # Text: values are data, never markup


def connect_target(
    target: str, page_size: int | None = None
) -> tuple[ParsedRemote, BackendConnector]:
    """Resolve a URL or spec and build its connector from the environment (audited)."""
    from reposix._dispatch import instantiate, resolve
    from reposix._runtime import Runtime

    parsed = resolve(target)
    return parsed, instantiate(parsed, runtime=Runtime(page_size=page_size))


# -- reposix doctor --------------------------------------------------------------------------


def _capabilities(plugin: ConnectorPlugin[BackendConnector]) -> str:
    from reposix._dispatch import connector_class

    cls = connector_class(plugin)
    if cls is None:
        return "(not declared on the plugin's build)"
    caps = cls.capabilities
    words = ["read"]
    words += [w for w, on in (("create", caps.create), ("update", caps.update)) if on]
    words.append(f"delete={caps.delete.value}")
    words.append(f"versioning={caps.versioning.value}")
    if caps.hierarchy:
        words.append("hierarchy")
    return " ".join(words)


@click.command()
def doctor() -> None:
    """Show installed connectors, credentials, the allowlist and the audit log.

    \b
    For each connector: its capabilities, the remote-URL forms it declares and which
    of its environment variables are set (names only, never values). Then the egress
    allowlist in force and the audit log's path and whether its hash chain verifies.

    \b
    Examples:
      reposix doctor
      REPOSIX_ALLOWED_ORIGINS=https://api.github.com reposix doctor | grep allowlist
    """
    from reposix._audit import default_audit_path, verify
    from reposix._env import ALLOWED_ORIGINS
    from reposix._http.allowlist import Allowlist
    from reposix._plugin import UrlForm, load_plugins

    plugins = load_plugins()
    out = output_console()
    table = _table("connector", "capabilities", "url forms", "credentials", title="connectors")
    for name in sorted(plugins):
        plugin = plugins[name]
        forms = "\n".join(f.template if isinstance(f, UrlForm) else f for f in plugin.url_forms)
        creds = "\n".join(
            f"{var}: {'set' if os.environ.get(var, '').strip() else 'not set'}"
            for var in plugin.env_vars
        )
        _row(table, name, _capabilities(plugin), forms or "(none)", creds or "(none needed)")
    print_table(out, table)
    raw = ALLOWED_ORIGINS.get()
    origin = f"${ALLOWED_ORIGINS.name}" if raw else "default: loopback only"
    out.print(f"allowlist ({origin}): {', '.join(Allowlist.parse(raw).describe())}", markup=False)
    path = default_audit_path()
    if path == ":memory:" or not os.path.exists(path):
        out.print(f"audit log: {path} (not created yet)", markup=False)
        return
    result = verify(path)
    state = f"verifies, {result.rows} rows" if result.ok else f"BROKEN: {result.problem}"
    out.print(f"audit log: {path} ({state})", markup=False)
    if not result.ok:
        raise SystemExit(EXIT_FAILURE)


# -- reposix get -----------------------------------------------------------------------------


@click.command()
@click.argument("target", metavar="URL-OR-SPEC")
@click.argument("record_id", metavar="ID", type=click.IntRange(1))
@click.option("--json", "as_json", is_flag=True, help="Print the record as one JSON object.")
def get(target: str, record_id: int, as_json: bool) -> None:
    """Print one record as frontmatter Markdown (or JSON).

    \b
    Examples:
      reposix get sim::demo 1
      reposix get github::octo-org/hello 42 --json
      reposix get reposix::https://acme.atlassian.net/jira/projects/OPS 10001
    """
    from reposix._frontmatter import render

    parsed, connector = connect_target(target)

    async def fetch() -> Any:
        async with connector:
            return await connector.get_record(parsed.project, record_id)

    record = asyncio.run(fetch())
    click.echo(record.model_dump_json() if as_json else render(record), nl=as_json)


# -- reposix sync ----------------------------------------------------------------------------


@click.command()
@click.option("--from", "source", required=True, metavar="URL-OR-SPEC", help="The source project.")
@click.option(
    "--to",
    "targets",
    multiple=True,
    metavar="URL-OR-SPEC",
    help="A target project (repeatable; mirrored in parallel).",
)
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, exists=True),
    help="Also mirror into every enabled integration of this TOML file.",
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False),
    help="SQLite state file (default: $REPOSIX_SYNC_STATE, else sync.db beside the audit log).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the plan; write nothing anywhere (each target is read once, so a "
    "missing project or credential fails here as in a real run).",
)
@click.option("--no-deletes", is_flag=True, help="Do not propagate source deletions.")
def sync(
    source: str,
    targets: tuple[str, ...],
    config: str | None,
    state: str | None,
    dry_run: bool,
    no_deletes: bool,
) -> None:
    """Mirror a project's records into one or more targets, idempotently.

    \b
    A second run creates nothing and updates only what changed; an interrupted run
    resumes without duplicates. Deletions propagate as each target can (delete, or
    close as not planned); fields a target cannot carry are reported.

    \b
    Examples:
      reposix sync --from sim::demo --to sim::mirror --dry-run
      reposix sync --from sim::demo --to github::octo-org/hello --to jira::OPS
      reposix sync --from github::octo-org/hello --config integrations.toml
    """
    from reposix._integrations import load_registry
    from reposix._sync import SyncJob, default_state_path, run_jobs

    wanted = list(targets)
    if config:
        wanted += [i.url for i in load_registry(config).enabled()]
    if not wanted:
        raise click.UsageError("give at least one --to target (or --config with enabled ones)")
    path = state or default_state_path()
    jobs = [
        SyncJob(source, t, path, dry_run=dry_run, propagate_deletes=not no_deletes)
        for t in dict.fromkeys(wanted)
    ]
    results = _run_with_progress(jobs, run_jobs)
    _print_results(results, dry_run=dry_run)
    failures = [r.error for r in results if r.error is not None]
    if failures:
        codes = {exit_code_for(e) for e in failures}
        code = codes.pop() if len(codes) == 1 else EXIT_FAILURE
        raise SystemExit(code)


def _run_with_progress(jobs: list[Any], run_jobs: Any) -> list[JobResult]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    err = output_console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        tasks = {job.target: bar.add_task(job.target, total=None) for job in jobs}

        def progress(job: Any, done: int, total: int) -> None:
            bar.update(tasks[job.target], completed=done, total=total)

        results: list[JobResult] = asyncio.run(run_jobs(jobs, progress=progress))
    return results


def _print_results(results: list[JobResult], *, dry_run: bool) -> None:
    out = output_console()
    if dry_run:
        plan = _table("target", "action", "source id", "target id", "note", title="plan (dry run)")
        for result in results:
            if result.report is None:
                continue
            for a in result.report.actions:
                if a.kind != "unchanged":
                    tid = "" if a.target_id is None else str(a.target_id)
                    _row(plan, result.job.target, a.kind, str(a.source_id), tid, a.note)
        if plan.row_count:  # a plan with no rows (every target failed) says nothing
            print_table(out, plan)
    table = _table("target", "outcome", "summary")
    for result in results:
        if result.report is not None:
            summary = result.report.summary()
            if result.report.notes:
                summary += "\n" + "\n".join(result.report.notes)
            _row(table, result.job.target, "ok", summary)
        else:
            error = result.error
            head = str(error).splitlines()[0] if error is not None else ""
            _row(table, result.job.target, "failed", head)
    print_table(out, table)
    for result in results:
        if result.error is not None:
            click.secho(f"{result.job.target}: {result.error}", fg="red", err=True)
