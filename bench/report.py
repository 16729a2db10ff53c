"""The benchmark's table: Markdown (printed, and written beside the JSON)."""
from __future__ import annotations

import json
from pathlib import Path


def _ratio(ours: float, bare: float) -> str:
    return f"{ours / bare:.2f}×" if bare > 0 else "n/a"


def _p1(p1: dict) -> list[str]:
    return [
        (
            "| P1 | proposals/s through the whole pipeline "
            "(POST → stored, logged, outbox → streamed → held by the Requestor) "
            f"| {p1['pipeline_per_second']:,} | bare validating endpoint {p1['bare_per_second']:,}/s "
            f"| {p1['ratio']:.2f} | ≥ 0.5 |"
        ),
        (
            "| P1 | load generator (wrk -t1 -c32): its CPU while driving the bare POST; a trivial GET on the bare app "
            f"| | {p1['wrk_cpu_share']['bare']:.0%} of one core; GET {p1['loadgen_ceiling_per_second']:,}/s "
            "| | well under one core |"
        ),
    ]


def _spread(ms: dict) -> str:
    return f"p50 {ms['p50_ms']} / p90 {ms['p90_ms']} / p99 {ms['p99_ms']} / max {ms['max_ms']} ms"


def _p2(p2: dict) -> list[str]:
    return [
        (
            f"| P2 | seller's answer → SSE client has it, {p2['offered_per_second']:g} proposals/s offered "
            f"({p2['answered_per_second']:g}/s answered) "
            f"| {_spread(p2['answer_to_sse_ms'])} ({p2['missing']} missing) | | | p99 < 15 ms |"
        ),
        (
            "| P2 | of which: answer → the Processor's stream carries it; stream → SSE (the Requestor's commit) "
            f"| {_spread(p2['answer_to_processor_stream_ms'])}; {_spread(p2['processor_stream_to_sse_ms'])} | | | |"
        ),
    ]


def _p3(p3: dict) -> list[str]:
    lines = []
    for ours, bare in zip(p3["ours"], p3["bare"], strict=True):  # the same sizes, measured both ways
        n = f"{ours['streams']:,}"
        lines.append(
            f"| P3 | memory per idle stream, {n} streams (Processor + Requestor; bare server + client) "
            f"| {ours['both_kib_per_stream']} KiB "
            f"({ours['processor_kib_per_stream']} + {ours['requestor_kib_per_stream']}) "
            f"| {bare['both_kib_per_stream']} KiB ({bare['server_kib_per_stream']} + {bare['client_kib_per_stream']}) "
            f"| {_ratio(ours['both_kib_per_stream'], bare['both_kib_per_stream'])} | ≤ 1.25× |")
        lines.append(
            f"| P3 | one event to every order, {n} streams (ours: a proposal per order, POST to held; "
            f"bare: one broadcast) | {ours['fanout_seconds']} s "
            f"({ours['of_which_after_last_answer']} s after the last answer) "
            f"| {bare['fanout_seconds']} s | {_ratio(ours['fanout_seconds'], bare['fanout_seconds'])} | ≤ 1.5× |")
    return lines


def _p4(p4: dict) -> list[str]:
    return [
        (
            f"| P4 | seller selection among {p4['sellers']:,} sellers, Google excluded ({p4['orders']} orders) "
            f"| {_spread(p4)} | | | p99 < 20 ms |"
        ),
    ]


ROWS = {"P1": _p1, "P2": _p2, "P3": _p3, "P4": _p4}


def markdown(results: dict) -> str:
    machine = results["machine"]
    lines = [
        (
            f"Benchmark ({results['mode']} mode, {results['started_at']}; {machine['cpus']} CPUs, "
            f"Python {machine['python']}, {machine['database']}; {results.get('seconds', '?')} s)"
        ),
        "",
        "| | Figure | dCent | Baseline (same run) | Ratio | Goal |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in ROWS.items():
        if name in results:
            lines += rows(results[name])
    return "\n".join(lines) + "\n"


def write_report(results: dict, out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(results)
    (out / f"bench-{results['mode']}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / f"bench-{results['mode']}.md").write_text(text)
    return text
