"""One burst of elements per rerun: the script's messages are held and sent together when it ends.

Why: Streamlit sends each element to the browser as soon as the script writes it, and the browser
renders each message that arrives on its own (a React pass over the changed blocks, then style, layout
and paint). A slider step on a page of ~80 elements whose script takes ~200 ms (the model, the ranges,
the figures, computed between the writes) arrives as dozens of small updates, and the browser renders
the page dozens of times. Measured (`bench/bench_burst.py`, bench/RESULTS.md "One burst per rerun"): 80
Markdown elements written over 250 ms cost 0.40 CPU-s of Chromium's time per rerun sent one by one, 0.14
held and sent together.

What is held, and for how long: every message the run writes from the script thread, until the run ends
or `HOLD_S` has passed. After that (a cold first load, a long solve) the held messages go out at once and
the rest of the run streams as before, so a slow page still fills in progressively. A message written from
another thread (st.spinner's timer) also releases everything at once: a spinner is never held back.
A stop or rerun request (the member moved the slider again) still interrupts the run at the next write,
as Streamlit does: the check Streamlit makes on every write is made here too.

This wraps a private hook of Streamlit's script context (`ScriptRunContext._enqueue`, Streamlit 1.67,
pinned in requirements.lock); where it is missing the run is not batched, and nothing else changes.
tests/ui/test_delta_batch.py checks that the hook exists, that order is kept and that nothing is lost.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

HOLD_S = 1.0


@contextmanager
def batched(hold_s: float = HOLD_S) -> Iterator[bool]:
    """Hold this run's messages until the block ends (or `hold_s`); yields whether batching is on."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    send = getattr(ctx, "_enqueue", None) if ctx is not None else None
    if send is None or getattr(send, "cgd_batched", False):
        yield False
        return
    # Streamlit handles a pending stop/rerun request on every write; keep that (private, hence optional).
    check = getattr(getattr(send, "__self__", None), "_maybe_handle_execution_control_request", None)
    held: deque = deque()
    lock = threading.Lock()
    script_thread = threading.current_thread()
    start = time.monotonic()
    streaming = False

    def release() -> None:  # with `lock` held; a stop/rerun raised by `send` drops the rest, as Streamlit does
        while held:
            send(held.popleft())

    def enqueue(msg) -> None:
        nonlocal streaming
        with lock:
            if not streaming and (threading.current_thread() is not script_thread
                                  or time.monotonic() - start > hold_s):
                streaming = True
            if streaming:
                release()
                send(msg)
                return
            if check is not None:
                check()
            held.append(msg)

    enqueue.cgd_batched = True  # type: ignore[attr-defined]
    ctx._enqueue = enqueue
    try:
        yield True
    finally:
        ctx._enqueue = send
        with lock:
            streaming = True
            release()
