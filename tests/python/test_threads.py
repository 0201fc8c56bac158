"""Python threads sharing arrays: concurrent evaluation of one graph,
in-place updates while other threads read, and the GIL released during
evaluation."""
import pickle
import threading
import time

import numpy as np

import cmlx.core as mx


def run_threads(targets, timeout=60):
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a thread hung"


def test_concurrent_eval_of_one_graph():
    for _ in range(30):
        x = mx.zeros((32, 32))
        for _ in range(100):
            x = x * 1.0 + 1
        barrier = threading.Barrier(3)

        def ev():
            barrier.wait()
            mx.eval(x)

        run_threads([ev, ev, ev])
        assert x[0, 0].item() == 100


def test_inplace_updates_while_reading():
    x = mx.zeros((32, 32))

    def writer():
        y = x
        for _ in range(500):
            y += 1
            y *= 1.0

    def reader():
        for _ in range(300):
            x.tolist()
            repr(x)
            np.array(x)
            pickle.dumps(x)
            x.sum().item()
            x[0, 0].item()

    run_threads([writer, reader, reader])
    assert x[0, 0].item() == 500


def test_gil_released_during_eval():
    # while one thread evaluates a long graph, another keeps running Python
    x = mx.ones((512, 512))
    for _ in range(30):
        x = mx.matmul(x, mx.ones((512, 512)) / 512)
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)

    t = threading.Thread(target=ticker, daemon=True)
    t.start()
    start = time.perf_counter()
    mx.eval(x)
    elapsed = time.perf_counter() - start
    done.set()
    t.join()
    during = [s for s in ticks if start <= s <= start + elapsed]
    assert x[0, 0].item() == 1.0
    if elapsed > 0.02:  # only meaningful when the evaluation took a while
        assert len(during) >= 3
