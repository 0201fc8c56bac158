#!/usr/bin/env python3
"""all_sum and all_gather across local processes on the ring backend, cmlx
and real MLX in one run: each launches N processes (MLX_RANK and a JSON
MLX_HOSTFILE of 127.0.0.1 ports, as mlx.launch does) that time the
collective on a float32 buffer. Prints the median time per call and the
buffer bytes per second, for both, and their ratio.

    python3 bench/bench_distributed.py [--procs 2 3] [--mib 64] [--reps 5]
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile

WORKER = """
import statistics, sys, time
import {module} as mx
d = mx.distributed
g = d.init(strict=True, backend="ring")
n = int(sys.argv[1]) * 1024 * 1024 // 4
x = mx.ones((n,))
mx.eval(x)
for name in ["all_sum", "all_gather"]:
    f = getattr(d, name)
    mx.eval(f(x))
    times = []
    for _ in range(int(sys.argv[2])):
        t = time.perf_counter()
        mx.eval(f(x))
        times.append(time.perf_counter() - t)
    if g.rank() == 0:
        print(name, statistics.median(times), flush=True)
"""


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def launch(module, n, mib, reps):
    with tempfile.TemporaryDirectory() as tmp:
        hostfile = os.path.join(tmp, "hosts.json")
        with open(hostfile, "w") as f:
            json.dump([[f"127.0.0.1:{p}"] for p in free_ports(n)], f)
        script = os.path.join(tmp, "worker.py")
        with open(script, "w") as f:
            f.write(WORKER.format(module=module))
        procs = [
            subprocess.Popen([sys.executable, script, str(mib), str(reps)],
                             stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, MLX_RANK=str(k), MLX_HOSTFILE=hostfile))
            for k in range(n)
        ]
        outs = [p.communicate(timeout=600)[0] for p in procs]
    return {line.split()[0]: float(line.split()[1]) for line in outs[0].splitlines()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--procs", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--mib", type=int, default=64)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    try:
        import mlx.core  # noqa: F401

        peers = ["cmlx.core", "mlx.core"]
    except ImportError:
        peers = ["cmlx.core"]
    for n in args.procs:
        results = {m: launch(m, n, args.mib, args.reps) for m in peers}
        for op in ["all_sum", "all_gather"]:
            line = f"{op:10s} {n} procs {args.mib} MiB:"
            for m in peers:
                t = results[m][op]
                line += f"  {m.split('.')[0]} {t * 1e3:8.1f} ms ({args.mib / 1024 / t:5.2f} GiB/s)"
            if len(peers) == 2:
                line += f"  mlx/cmlx {results['mlx.core'][op] / results['cmlx.core'][op]:.2f}x"
            print(line, flush=True)


if __name__ == "__main__":
    main()
