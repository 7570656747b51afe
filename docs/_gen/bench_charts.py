"""The benchmarks page's charts, drawn as inline SVG from the benchmark's own results file.

``benchmarks/bench_github.py --json benchmarks/results/bench_github.json`` writes every run
with the date, machine and versions; the docs hook (``hooks.py``) replaces the marker
``<!-- gen:bench-charts -->`` with what `render` returns, at build time, so the charts
cannot drift from the committed results. Plain SVG: no script, works offline.
"""

from __future__ import annotations

import html
import json
import statistics
from pathlib import Path
from typing import Any

__all__ = ["CLIENTS", "RESULTS", "bar_chart", "line_chart", "render"]

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "bench_github.json"

CLIENTS = {
    "plain": "plain httpx loop",
    "reposix": "reposix",
    "singer": "singer-sdk",
    "airbyte": "airbyte-cdk",
}
"""The results file's client kinds, in chart order, with the names the charts show."""

# Series colours by the first word of their name; colour-blind-safe (Okabe-Ito) hues.
_COLORS = {
    "plain": "#78909c",
    "reposix": "#3f51b5",
    "singer-sdk": "#e69f00",
    "airbyte-cdk": "#009e73",
}


def _color(name: str) -> str:
    return _COLORS.get(name.split()[0], _COLORS["reposix"])


_W, _H, _LEFT, _BOTTOM, _TOP = 640, 300, 70, 50, 50


def _svg(body: list[str], title: str) -> str:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" role="img" '
        f'style="width:100%;max-width:{_W}px;height:auto" aria-label="{html.escape(title)}">'
    )
    style = (
        "<style>text{font:12px sans-serif;fill:currentColor}"
        ".axis{stroke:currentColor;stroke-width:1}.grid{stroke:#8884;stroke-width:1}</style>"
    )
    caption = f'<text x="{_W / 2}" y="18" text-anchor="middle" font-weight="bold">'
    caption += f"{html.escape(title)}</text>"
    return head + style + caption + "".join(body) + "</svg>"


def _legend(names: list[str]) -> list[str]:
    """One row of colour swatches with the series' names, under the title."""
    out, x = [], float(_LEFT)
    for name in names:
        out.append(f'<rect x="{x:.1f}" y="27" width="12" height="12" fill="{_color(name)}"/>')
        out.append(f'<text x="{x + 16:.1f}" y="37">{html.escape(name)}</text>')
        x += 16 + 6.6 * len(name) + 14
    return out


def _axes(top: float, unit: str) -> tuple[list[str], float]:
    """The y axis with five grid lines from 0 to a round ``top``; returns its scale."""
    plot_h = _H - _BOTTOM - _TOP
    scale = plot_h / top
    out = []
    for i in range(6):
        value = top * i / 5
        y = _H - _BOTTOM - value * scale
        out.append(f'<line class="grid" x1="{_LEFT}" x2="{_W - 10}" y1="{y:.1f}" y2="{y:.1f}"/>')
        label = f"{value:,.0f}" if top >= 10 else f"{value:.2f}"
        out.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    out.append(
        f'<text x="14" y="{_TOP + plot_h / 2}" transform="rotate(-90 14 {_TOP + plot_h / 2})" '
        f'text-anchor="middle">{html.escape(unit)}</text>'
    )
    return out, scale


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _round_up(value: float) -> float:
    step = 10 ** max(len(str(int(value))) - 1, 0) if value >= 1 else 0.1
    top = step
    while top < value:
        top += step
    return top


def bar_chart(title: str, unit: str, groups: dict[str, dict[str, list[float]]]) -> str:
    """Grouped bars: the median of each series, with a whisker from its min to its max.

    ``groups`` maps a group's label to its series (name → the values of every run); a
    series' colour follows the first word of its name, and a legend names them.
    """
    peak = max(max(v) for series in groups.values() for v in series.values())
    top = _round_up(peak * 1.05)
    body, scale = _axes(top, unit)
    slot = (_W - _LEFT - 20) / len(groups)
    for g, (group, series) in enumerate(groups.items()):
        bar_w = slot * 0.7 / len(series)
        for s, (name, values) in enumerate(series.items()):
            x = _LEFT + g * slot + slot * 0.15 + s * bar_w
            med, lo, hi = statistics.median(values), min(values), max(values)
            y = _H - _BOTTOM - med * scale
            color = _color(name)
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 4:.1f}" '
                f'height="{med * scale:.1f}" fill="{color}"><title>{html.escape(name)}: '
                f"median {_fmt(med)}, min {_fmt(lo)}, max {_fmt(hi)}</title></rect>"
            )
            cx = x + (bar_w - 4) / 2
            y_lo, y_hi = _H - _BOTTOM - lo * scale, _H - _BOTTOM - hi * scale
            body.append(
                f'<line class="axis" x1="{cx:.1f}" x2="{cx:.1f}" y1="{y_lo:.1f}" y2="{y_hi:.1f}"/>'
            )
            body.append(
                f'<text x="{cx:.1f}" y="{y - 6 if y - 6 > y_hi else y_hi - 4:.1f}" '
                f'text-anchor="middle">{_fmt(med)}</text>'
            )
        body.append(
            f'<text x="{_LEFT + g * slot + slot / 2:.1f}" y="{_H - _BOTTOM + 20}" '
            f'text-anchor="middle" font-weight="bold">{html.escape(group)}</text>'
        )
    body.append(
        f'<line class="axis" x1="{_LEFT}" x2="{_W - 10}" y1="{_H - _BOTTOM}" y2="{_H - _BOTTOM}"/>'
    )
    names = list(dict.fromkeys(name for series in groups.values() for name in series))
    return _svg(body + _legend(names), title)


def line_chart(title: str, unit: str, xs: list[int], series: dict[str, list[float]]) -> str:
    """One line per series over ``xs`` (record counts), each point labelled."""
    top = _round_up(max(max(v) for v in series.values()) * 1.1)
    body, scale = _axes(top, unit)
    span = max(xs)
    plot_w = _W - _LEFT - 60

    def x_of(n: int) -> float:
        return _LEFT + 20 + plot_w * n / span

    for n in xs:
        body.append(
            f'<text x="{x_of(n):.1f}" y="{_H - _BOTTOM + 16}" text-anchor="middle">{n:,}</text>'
        )
    body.append(
        f'<text x="{_LEFT + plot_w / 2:.1f}" y="{_H - 8}" text-anchor="middle">'
        "records listed</text>"
    )
    labels: dict[int, list[tuple[float, str, float]]] = {n: [] for n in xs}
    for name, values in series.items():
        color = _color(name)
        points = " ".join(
            f"{x_of(n):.1f},{_H - _BOTTOM - v * scale:.1f}" for n, v in zip(xs, values, strict=True)
        )
        body.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>')
        for n, v in zip(xs, values, strict=True):
            px, py = x_of(n), _H - _BOTTOM - v * scale
            body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"/>')
            labels[n].append((py, color, v))
    for n, column in labels.items():
        # Each value beside its point; close values are pushed apart so none overlap.
        last = -1e9
        for py, color, v in sorted(column):
            y = max(py + 4, last + 13)
            last = y
            body.append(f'<text x="{x_of(n) + 6:.1f}" y="{y:.1f}" fill="{color}">{v:.0f}</text>')
    body.append(
        f'<line class="axis" x1="{_LEFT}" x2="{_W - 10}" y1="{_H - _BOTTOM}" y2="{_H - _BOTTOM}"/>'
    )
    return _svg(body + _legend(list(series)), title)


def _ratios(part: dict[str, Any], metric: str = "ratios") -> dict[str, list[float]]:
    """Each client's per-round ratios over the plain loop (older files: reposix only)."""
    if metric in part:
        return dict(part[metric])
    old = "pairs" if metric == "ratios" else "cpu_pairs"
    if old in part:
        return {"reposix": list(part[old])}
    runs = part["runs"]["wall" if metric == "ratios" else "cpu"]
    return {"reposix": [r / p for r, p in zip(runs["reposix"], runs["plain"], strict=True)]}


def _cell(values: list[float], unit: str) -> str:
    med, lo, hi = statistics.median(values), min(values), max(values)
    return f"{_fmt(med)}{unit} ({_fmt(lo)}–{_fmt(hi)})"


def _spread_table(a: dict[str, Any], kinds: list[str]) -> list[str]:
    """Median (min–max) of every measure of (a), one row per client."""
    runs = a["runs"]
    ratios, cpu_ratios = _ratios(a), _ratios(a, "cpu_ratios") if "cpu" in runs else {}
    head = ["client", "wall time", "CPU time", "wall / plain", "CPU / plain", "peak RSS"]
    out = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for kind in kinds:
        cells = [
            CLIENTS[kind],
            _cell(runs["wall"][kind], " s"),
            _cell(runs["cpu"][kind], " s") if "cpu" in runs else "–",
            _cell(ratios[kind], "×") if kind in ratios else "1×",
            _cell(cpu_ratios[kind], "×") if kind in cpu_ratios else ("1×" if cpu_ratios else "–"),
            _cell(runs["rss"][kind], " MiB"),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _reposix_against(a: dict[str, Any], kinds: list[str]) -> list[str]:
    """reposix's time over each other client's, per round (median, min–max)."""
    runs = a["runs"]
    metrics = [m for m in ("wall", "cpu") if m in runs]
    out = [
        "| reposix against | "
        + " | ".join(f"{m if m == 'wall' else 'CPU'} time" for m in metrics)
        + " |",
        "|---|" + "---:|" * len(metrics),
    ]
    for kind in kinds:
        if kind == "reposix":
            continue
        cells = []
        for m in metrics:
            pairs = zip(runs[m]["reposix"], runs[m][kind], strict=True)
            cells.append(_cell([r / o for r, o in pairs], "×"))
        out.append(f"| {CLIENTS[kind]} | " + " | ".join(cells) + " |")
    return out


def render(path: Path = RESULTS) -> str:
    """The charts and the facts they come from, as Markdown with inline SVG.

    Reads the results file of ``bench_github.py --json``; clients the file has no runs
    for (the singer-sdk and airbyte-cdk peers unless it ran with ``--peers``) are left
    out, and the page says so.
    """
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    a, b = data["a"], data["b"]
    n = a["issues"]
    runs = a["runs"]
    kinds = [k for k in CLIENTS if k in runs["wall"]]
    peers = [k for k in kinds if k not in ("plain", "reposix")]
    throughput = {
        "whole process": {CLIENTS[k]: [n / w for w in runs["wall"][k]] for k in kinds},
        "listing call": {CLIENTS[k]: [n / w for w in runs["listing"][k]] for k in kinds},
    }
    wall_ratios = _ratios(a)
    ratio_groups = {
        f"{n:,} issues, wall time": {
            f"{CLIENTS[k]} / plain": wall_ratios[k] for k in kinds if k in wall_ratios
        },
    }
    if "cpu" in runs:
        cpu_ratios = _ratios(a, "cpu_ratios")
        ratio_groups[f"{n:,} issues, CPU time"] = {
            f"{CLIENTS[k]} / plain": cpu_ratios[k] for k in kinds if k in cpu_ratios
        }
    ratio_groups[f"{b['issues']:,} issues, {b['latency_ms']:g} ms per request"] = {
        "reposix / plain": _ratios(b)["reposix"]
    }
    counts = sorted(int(k) for k in data["c"])
    streamed = {
        "reposix-stream": "reposix iter_records",
        "singer": "singer-sdk",
        "airbyte": "airbyte-cdk",
    }
    memory = {"plain (keeps every dict)": [data["c"][str(c)]["rss"]["plain"] for c in counts]}
    for kind, label in streamed.items():
        if all(kind in data["c"][str(c)]["rss"] for c in counts):
            memory[label] = [data["c"][str(c)]["rss"][kind] for c in counts]
    machine, versions = data["machine"], data["versions"]
    load = ", ".join(f"{x:.1f}" for x in machine["load_average"])
    facts = [
        f"- **Date:** {data['date']}",
        f"- **Machine:** {machine['cpu']}, {machine['cores']} cores, {machine['system']}; "
        f"load average at the end of the run {load} (the machine is shared)",
        "- **Versions:** " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"- **Runs:** {len(runs['wall']['plain'])} rounds per setting, the clients in "
        "alternation within each (order reversed every other round); bars show the median, "
        "whiskers the min and max; ratios are taken within a round, against the plain loop",
    ]
    if not peers:
        facts.append(
            "- **Peers:** this results file has no singer-sdk or airbyte-cdk runs "
            "(the benchmark ran without `--peers`)"
        )
    memory_rows = [
        "| records | " + " | ".join(memory) + " |",
        "|---:|" + "---:|" * len(memory),
        *(
            f"| {c:,} | " + " | ".join(f"{v[i]:.0f} MiB" for v in memory.values()) + " |"
            for i, c in enumerate(counts)
        ),
    ]
    return "\n".join(
        [
            *facts,
            "",
            f"Spread of (a), {n:,} issues, no latency: median (min–max) of the rounds.",
            "",
            *_spread_table(a, kinds),
            "",
            "reposix's time over each client's in the same round (below 1×: reposix was "
            "faster), median (min–max):",
            "",
            *_reposix_against(a, kinds),
            "",
            bar_chart(f"Throughput, {n:,} issues (higher is better)", "issues/s", throughput),
            "",
            bar_chart("Ratio to the plain httpx loop (lower is better)", "ratio", ratio_groups),
            "",
            line_chart("Peak memory against records listed (MiB)", "MiB", counts, memory),
            "",
            *memory_rows,
            "",
        ]
    )
