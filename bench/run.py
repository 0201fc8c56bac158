#!/usr/bin/env python3
"""Runs the cmlx benchmarks and their peers (NumPy, real MLX) and prints a table.

    bash scripts/build.sh release      # builds build/release/bench_cmlx
    python3 bench/run.py [--reps N] [--only NAME] [--impl LIST] [--json FILE]

Every implementation runs in this one invocation: bench_cmlx first, then
bench/peers.py once per peer, each in its own process. The table shows each
workload's median time and derived figure, cmlx's time as a ratio of each
peer's (below 1: cmlx is faster), how close each figure comes to the
machine's own limit (copy bandwidth, OpenBLAS sgemm) and, on cmlx rows, the
target with PASS or MISS.
"""
import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BIN = ROOT / "build" / "release" / "bench_cmlx"
PEERS = Path(__file__).resolve().parent / "peers.py"
PEER_IMPLS = ["numpy", "mlx"]
TIMEOUT_S = 600


@dataclass
class Show:
    """How one workload appears in the table."""

    figure: str  # the derived field shown
    unit: str
    # (workload, field) of the machine limit this figure is compared with.
    limit: Optional[tuple] = None
    # target(figure, percent_of_limit) -> bool, judged on cmlx rows only.
    target: Optional[Callable] = None
    target_text: str = ""
    # Extra words for the notes column, from the record.
    notes: Optional[Callable] = None
    # A machine limit measured in C: its "cmlx" row runs no cmlx code, so it
    # gets no ratios against the peers.
    is_limit: bool = False
    # The limit is the same implementation's own record (a contiguous twin),
    # not cmlx's machine measurement.
    limit_own: bool = False


SHOW = {
    "graph_chain": Show("us_per_node", "us/node", target=lambda v, pct: v <= 1.0,
                        target_text="<= 1 us/node"),
    "donation_memory": Show("peak_buffers", "buffers", target=lambda v, pct: v <= 3.0,
                            target_text="<= 3 buffers"),
    "add_16m": Show("gb_s", "GB/s", limit=("copy_bandwidth", "gb_s"),
                    target=lambda v, pct: pct >= 80.0, target_text=">= 80% of copy"),
    "copy_bandwidth": Show("gb_s", "GB/s", is_limit=True, notes=lambda r: (
        f"{r['threads']:.0f} threads: memcpy {r['gb_s_memcpy']:.1f}, streaming "
        f"{r['gb_s_stream']:.1f} GB/s; 1 thread {r['gb_s_1thread']:.1f} GB/s"
        if "gb_s_memcpy" in r else f"{r.get('threads', 1):.0f} thread(s)")),
    "sgemm_blas": Show("gflop_s", "GFLOP/s", is_limit=True,
                       notes=lambda r: f"OpenBLAS, {r.get('threads', 0):.0f} threads"),
    "matmul_2048": Show("gflop_s", "GFLOP/s", limit=("sgemm_blas", "gflop_s"),
                        target=lambda v, pct: pct >= 90.0, target_text=">= 90% of sgemm"),
    # No limit: a sum only reads, so the copy figure (read + write) is no roof.
    "sum_16m": Show("gb_s", "GB/s"),
    # Goal: at least NumPy's speed (the "vs numpy" column below 1).
    "sort_1m": Show("melem_s", "Melem/s"),
    "argsort_1m": Show("melem_s", "Melem/s"),
    # Op library: transcendentals aim at >= 2x NumPy; memory-bound ops at
    # >= 80% of copy bandwidth; row/column reductions read only (no roof).
    **{n: Show("melem_s", "Melem/s") for n in
       ("exp_16m", "tanh_16m", "sigmoid_16m", "erf_16m", "log_16m")},
    **{n: Show("gb_s", "GB/s", limit=("copy_bandwidth", "gb_s"),
               target=lambda v, pct: pct >= 80.0, target_text=">= 80% of copy")
       for n in ("multiply_16m", "maximum_16m", "where_16m", "astype_16m")},
    # A transposed operand may cost at most 2x its contiguous twin (add_16m).
    "add_transposed_16m": Show("gb_s", "GB/s", limit=("add_16m", "gb_s"),
                               target=lambda v, pct: pct >= 50.0,
                               target_text="<= 2x add_16m time", limit_own=True),
    # Reductions only read; the roof is still the copy figure.
    **{n: Show("gb_s", "GB/s", limit=("copy_bandwidth", "gb_s"),
               target=lambda v, pct: pct >= 80.0, target_text=">= 80% of copy") for n in
       ("sum_rows_4096", "sum_cols_4096", "max_rows_4096", "max_cols_4096")},
}


def fmt_time(s):
    if s is None:
        return "-"
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} us"


def fmt_num(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


def run_lines(cmd, label):
    """Runs cmd, returns the JSON records it printed (one per line)."""
    print(f"running {label}: {' '.join(str(c) for c in cmd)}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=TIMEOUT_S, cwd=ROOT)
    except subprocess.TimeoutExpired:
        print(f"  {label}: timed out after {TIMEOUT_S} s", file=sys.stderr)
        return [], False
    records = []
    for line in p.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "workload" in rec and "impl" in rec:
            records.append(rec)
    ok = p.returncode == 0
    if not ok:
        print(f"  {label}: exit status {p.returncode}", file=sys.stderr)
    print(f"  {label}: {len(records)} results in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr, flush=True)
    return records, ok


def machine_info():
    info = {"python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "loadavg": os.getloadavg()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "CMLX_NUM_THREADS"):
        if var in os.environ:
            info[var] = os.environ[var]
    try:
        from importlib.metadata import version

        for pkg in ("numpy", "mlx"):
            try:
                info[pkg] = version(pkg)
            except Exception:
                pass
    except ImportError:
        pass
    return info


def limit_percent(rec, show, by_key):
    """The record's figure as a percentage of the machine limit, or None."""
    if not show.limit or rec.get(show.figure) is None:
        return None
    lim = by_key.get((show.limit[0], rec["impl"] if show.limit_own else "cmlx"))
    if not lim or not lim.get(show.limit[1]):
        return None
    return 100.0 * rec[show.figure] / lim[show.limit[1]]


def build_table(names, impls, by_key):
    peers = [i for i in impls if i != "cmlx"]
    head = ["workload", "impl", "median", "figure"] + [f"vs {p}" for p in peers] + [
        "of limit", "target", "result", "notes"]
    rows, verdicts = [], []
    for name in names:
        show = SHOW.get(name, Show("", ""))
        for impl in impls:
            rec = by_key.get((name, impl))
            if rec is None:
                continue
            err = rec.get("error")
            fig = rec.get(show.figure) if show.figure else None
            row = [name, impl, fmt_time(rec.get("median_s")),
                   f"{fmt_num(fig)} {show.unit}" if fig is not None else "-"]
            for p in peers:
                peer = by_key.get((name, p))
                if (impl == "cmlx" and not show.is_limit and peer and peer.get("median_s")
                        and rec.get("median_s")):
                    row.append(f"{rec['median_s'] / peer['median_s']:.2f}x")
                else:
                    row.append("")
            pct = limit_percent(rec, show, by_key)
            row.append(f"{pct:.0f}% {show.limit[0]}" if pct is not None else "")
            result = ""
            if impl == "cmlx" and show.target:
                if err or fig is None:
                    result = "ERROR"
                elif show.limit and pct is None:
                    result = "n/a"
                else:
                    result = "PASS" if show.target(fig, pct) else "MISS"
                verdicts.append((name, result))
            elif err:
                result = "ERROR"
            row.append(show.target_text if impl == "cmlx" else "")
            row.append(result)
            note = err or ""
            if not err and show.notes:
                try:
                    note = show.notes(rec)
                except (KeyError, TypeError, ValueError):
                    note = ""
            if impl == "cmlx" and show.is_limit:
                note = "machine limit (no cmlx code)" + (f"; {note}" if note else "")
            row.append(note)
            rows.append(row)
    return head, rows, verdicts


def geometric_means(names, impls, by_key):
    """{peer: (geometric mean of cmlx/peer time, workload count)} over the
    workloads both ran, machine limits excluded."""
    out = {}
    for peer in (i for i in impls if i != "cmlx"):
        logs = []
        for name in names:
            if SHOW.get(name, Show("", "")).is_limit:
                continue
            c, p = by_key.get((name, "cmlx")), by_key.get((name, peer))
            if c and p and c.get("median_s") and p.get("median_s") and not c.get("error"):
                logs.append(math.log(c["median_s"] / p["median_s"]))
        if logs:
            out[peer] = (math.exp(sum(logs) / len(logs)), len(logs))
    return out


def print_table(head, rows):
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    # The notes column is last and left ragged.
    widths[-1] = 0
    line = lambda r: "  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip()
    print(line(head))
    print("  ".join("-" * max(w, 5) for w in widths).rstrip())
    for r in rows:
        print(line(r))


def main():
    ap = argparse.ArgumentParser(description="Runs cmlx's benchmarks against NumPy and MLX.")
    ap.add_argument("--reps", type=int, default=0,
                    help="timed repetitions per workload (default: each workload's own)")
    ap.add_argument("--only", action="append", default=[], metavar="NAME",
                    help="run only this workload (repeat or comma-separate for more)")
    ap.add_argument("--impl", default="cmlx,numpy,mlx",
                    help="comma-separated implementations to run (default: cmlx,numpy,mlx)")
    ap.add_argument("--json", metavar="FILE", help="save the raw results to FILE")
    ap.add_argument("--bin", default=str(DEFAULT_BIN), help="path to bench_cmlx")
    args = ap.parse_args()
    if args.reps < 0:
        ap.error("--reps must be positive")

    impls = [i.strip() for i in args.impl.split(",") if i.strip()]
    for i in impls:
        if i not in ["cmlx"] + PEER_IMPLS:
            ap.error(f"unknown implementation '{i}'")
    binary = Path(args.bin)
    if not binary.exists():
        print(f"{binary} is missing: build it first with `bash scripts/build.sh release`",
              file=sys.stderr)
        return 2

    # The C harness knows the full list of workloads.
    listed = subprocess.run([str(binary), "--list"], stdout=subprocess.PIPE, text=True)
    all_names = listed.stdout.split()
    if listed.returncode != 0 or not all_names:
        print(f"{binary} --list failed", file=sys.stderr)
        return 2
    names = all_names
    if args.only:
        wanted = [n.strip() for o in args.only for n in o.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in all_names]
        if unknown:
            ap.error(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(all_names)}")
        # A figure judged against a machine limit needs that limit measured too.
        for n in list(wanted):
            lim = SHOW.get(n, Show("", "")).limit
            if lim and lim[0] not in wanted:
                wanted.append(lim[0])
        names = [n for n in all_names if n in wanted]

    info = machine_info()
    reps = ["--reps", str(args.reps)] if args.reps else []
    records, all_ok = [], True
    # The machine limits are measured by bench_cmlx, so it runs even when
    # only peers were asked for.
    limits = {s.limit[0] for s in SHOW.values() if s.limit}
    c_names = names if "cmlx" in impls else [n for n in names if n in limits]
    if c_names:
        recs, ok = run_lines([str(binary)] + reps + c_names, "cmlx")
        records += recs
        all_ok &= ok
    for peer in PEER_IMPLS:
        if peer in impls:
            recs, ok = run_lines([sys.executable, str(PEERS), "--impl", peer] + reps + names, peer)
            records += recs
            all_ok &= ok

    by_key = {(r["workload"], r["impl"]): r for r in records}
    shown_impls = [i for i in ["cmlx"] + PEER_IMPLS if any(k[1] == i for k in by_key)]
    head, rows, verdicts = build_table(names, shown_impls, by_key)

    print()
    print(f"cmlx benchmarks on {info.get('cpu', info['machine'])}, {info['cpus']} cpus, "
          f"load average {info['loadavg'][0]:.2f}")
    extras = [f"{k}={info[k]}" for k in ("numpy", "mlx", "OPENBLAS_CORETYPE",
                                          "OPENBLAS_NUM_THREADS", "CMLX_NUM_THREADS") if k in info]
    if extras:
        print("  " + ", ".join(extras))
    if info["loadavg"][0] > 0.5:
        print("  note: the machine is busy; timings will be noisy")
    print("  medians; 'vs X' is cmlx time / X time (below 1: cmlx faster); 'of limit' is the "
          "figure as a share of the machine limit measured in C")
    print()
    print_table(head, rows)
    geo = geometric_means(names, shown_impls, by_key)
    if geo:
        print()
        print("geometric mean of cmlx time / peer time over shared workloads (below 1: cmlx "
              "faster): " + ", ".join(f"{p} {g:.3f}x ({1 / g:.1f}x faster, {n} workloads)"
                                      for p, (g, n) in geo.items()))
    if verdicts:
        print()
        print("targets: " + ", ".join(f"{n} {v}" for n, v in verdicts))

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "results": records}, f, indent=1)
        print(f"raw results saved to {args.json}", file=sys.stderr)
    errors = any(r.get("error") for r in records)
    return 0 if all_ok and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
