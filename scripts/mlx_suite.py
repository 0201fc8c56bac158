#!/usr/bin/env python3
"""Runs MLX's Python test files against cmlx and counts the results.

Usage: python scripts/mlx_suite.py TESTDIR [--files test_ops.py ...]
                                   [--timeout S] [--json OUT] [-k EXPR]

TESTDIR holds MLX's python/tests files (mlx_tests.py and test_*.py). They
are copied to a temporary directory next to a conftest.py that calls
cmlx.install_as_mlx() before any test module is imported, so `import
mlx.core` gives cmlx even where the real MLX is installed. Each file runs in
its own pytest subprocess with a timeout; a crash or timeout is charged to
the test that was running and the file is resumed without it, so one
segfault or hang does not hide the rest of the file. Prints per-file counts and the
overall pass percentage (passed / (passed + failed + errors); skips are
left out).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

CONFTEST = '''
import sys
import cmlx
cmlx.install_as_mlx()
import mlx.core as _mx
if not _mx.__name__.startswith("cmlx"):
    raise ImportError("mlx.core is %s, not cmlx" % _mx.__name__)
'''

# One pytest -v line: "test_x.py::Class::test_name PASSED   [ 10%]".
RESULT = re.compile(
    r"^(\S+\.py::\S+)\s+(PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\b")
STARTED = re.compile(r"^(\S+\.py::\S+)\s*$")
SUMMARY = re.compile(r"^(FAILED|ERROR) (\S+\.py::\S+)(?: - (.*))?$")
# A collection error names the file only.
COLLECT_ERR = re.compile(r"^ERROR (\S+\.py)(?: - (.*))?$")


def run_file(py, workdir, fname, timeout, kexpr):
    """Returns {nodeid: (outcome, reason)} for one test file."""
    results = {}
    deselect = []
    # Each run gets the full timeout; a hung test is charged and the rest of
    # the file resumes, within an overall cap of ten runs' worth.
    deadline = time.monotonic() + 10 * timeout
    for _ in range(50):
        left = min(timeout, deadline - time.monotonic())
        if left <= 1:
            break
        cmd = [py, "-m", "pytest", "-v", "-p", "no:cacheprovider",
               "--tb=line", "-rfE", "-o", "console_output_style=classic",
               fname]
        if kexpr:
            cmd += ["-k", kexpr]
        for d in deselect:
            cmd += ["--deselect", d]
        env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1",
                   COLUMNS="400")
        timed_out = False
        try:
            p = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True,
                               text=True, errors="replace", timeout=left)
            out, rc = p.stdout + "\n" + p.stderr, p.returncode
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"")
            out = out.decode(errors="replace") if isinstance(out, bytes) else out
            rc, timed_out = None, True
        last_started = None
        for line in out.splitlines():
            m = RESULT.match(line)
            if m:
                node, outcome = m.group(1), m.group(2)
                if node not in results or results[node][0] == "PASSED":
                    results[node] = (outcome, "")
                last_started = None
                continue
            m = SUMMARY.match(line)
            if m:
                node = m.group(2)
                reason = (m.group(3) or "").strip()
                results[node] = (m.group(1), reason[:300])
                continue
            m = COLLECT_ERR.match(line)
            if m and "::" not in line:
                results[fname + "::<collection>"] = (
                    "ERROR", (m.group(2) or "collection error")[:300])
                continue
            m = STARTED.match(line.strip())
            if m and m.group(1) not in results:
                last_started = m.group(1)
        crashed = rc is not None and rc not in (0, 1, 2, 5)
        if (timed_out or crashed) and last_started:
            why = "timeout" if timed_out else "crash (exit %s)" % rc
            tail = [l for l in out.splitlines()[-40:]
                    if "Fatal Python error" in l or "Error" in l]
            results[last_started] = ("ERROR", why + (
                ": " + tail[0].strip()[:200] if tail else ""))
            deselect = [n for n in results if "::<" not in n]
            continue
        if timed_out:
            results[fname + "::<timeout>"] = ("ERROR", "timeout")
        elif crashed and not results:
            results[fname + "::<crash>"] = ("ERROR", out.strip()[-300:])
        break
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("testdir")
    ap.add_argument("--files", nargs="*")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds per pytest run of a file (a file resumes "
                    "after a crash or a hung test, up to 10 runs' worth)")
    ap.add_argument("--json", help="write every test's outcome here")
    ap.add_argument("-k", dest="kexpr", help="pytest -k expression")
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()

    files = a.files or sorted(f for f in os.listdir(a.testdir)
                              if f.startswith("test_") and f.endswith(".py"))
    work = tempfile.mkdtemp(prefix="mlx_suite_")
    try:
        for f in os.listdir(a.testdir):
            if f.endswith(".py"):
                shutil.copy(os.path.join(a.testdir, f), work)
        with open(os.path.join(work, "conftest.py"), "w") as fh:
            fh.write(CONFTEST)
        allres = {}
        tot = {"PASSED": 0, "FAILED": 0, "ERROR": 0, "SKIPPED": 0}
        print("%-26s %6s %6s %6s %6s %7s" %
              ("file", "pass", "fail", "error", "skip", "pass%"))
        for f in files:
            t0 = time.monotonic()
            res = run_file(a.python, work, f, a.timeout, a.kexpr)
            allres[f] = res
            c = {"PASSED": 0, "FAILED": 0, "ERROR": 0, "SKIPPED": 0}
            for outcome, _ in res.values():
                key = {"XFAIL": "SKIPPED", "XPASS": "PASSED"}.get(outcome,
                                                                  outcome)
                c[key] += 1
            for k in c:
                tot[k] += c[k]
            run = c["PASSED"] + c["FAILED"] + c["ERROR"]
            print("%-26s %6d %6d %6d %6d %6.1f%%  (%.0fs)" % (
                f, c["PASSED"], c["FAILED"], c["ERROR"], c["SKIPPED"],
                100.0 * c["PASSED"] / run if run else 0.0,
                time.monotonic() - t0), flush=True)
        run = tot["PASSED"] + tot["FAILED"] + tot["ERROR"]
        print("%-26s %6d %6d %6d %6d %6.1f%%" % (
            "TOTAL", tot["PASSED"], tot["FAILED"], tot["ERROR"],
            tot["SKIPPED"], 100.0 * tot["PASSED"] / run if run else 0.0))
        print("\nNot passed:")
        for f, res in allres.items():
            for node, (outcome, reason) in sorted(res.items()):
                if outcome in ("FAILED", "ERROR"):
                    print("  %s %s: %s" % (outcome, node, reason))
        if a.json:
            with open(a.json, "w") as fh:
                json.dump({f: {n: list(v) for n, v in r.items()}
                           for f, r in allres.items()}, fh, indent=1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
