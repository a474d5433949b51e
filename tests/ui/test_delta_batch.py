"""ui/delta_batch.py: a run's messages are held and sent together, in order, and nothing is lost."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from dashboard.ui import delta_batch


class _Runner:
    """Stands in for Streamlit's ScriptRunner: records what reaches the browser queue."""

    def __init__(self):
        self.sent: list[object] = []
        self.checks = 0
        self.pending: Exception | None = None

    def _enqueue_forward_msg(self, msg) -> None:
        self._maybe_handle_execution_control_request()
        self.sent.append(msg)

    def _maybe_handle_execution_control_request(self) -> None:
        self.checks += 1
        if self.pending is not None:
            exc, self.pending = self.pending, None
            raise exc


class _Ctx:
    def __init__(self, runner: _Runner):
        self._enqueue = runner._enqueue_forward_msg

    def enqueue(self, msg) -> None:  # as ScriptRunContext.enqueue: looks `_enqueue` up on every call
        self._enqueue(msg)


@pytest.fixture
def ctx(monkeypatch):
    runner = _Runner()
    context = _Ctx(runner)
    monkeypatch.setattr("streamlit.runtime.scriptrunner_utils.script_run_context.get_script_run_ctx",
                        lambda *a, **k: context)
    return context, runner


def test_streamlit_still_has_the_hook_this_wraps():
    """The private field wrapped here exists in the pinned Streamlit (else batching silently turns off)."""
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

    assert "_enqueue" in {f.name for f in dataclasses.fields(ScriptRunContext)}
    assert callable(getattr(ScriptRunner, "_maybe_handle_execution_control_request", None))
    assert callable(getattr(ScriptRunner, "_enqueue_forward_msg", None))


def test_messages_are_held_until_the_run_ends_then_sent_in_order(ctx):
    context, runner = ctx
    with delta_batch.batched() as on:
        assert on
        for i in range(50):
            context.enqueue(i)
        assert runner.sent == []  # nothing reached the browser yet
        assert runner.checks == 50  # a stop/rerun request is still looked for on every write
    assert runner.sent == list(range(50))
    assert context._enqueue == runner._enqueue_forward_msg  # the hook is put back


def test_an_exception_still_sends_what_was_written(ctx):
    context, runner = ctx
    with pytest.raises(ValueError), delta_batch.batched():
        context.enqueue("a")
        context.enqueue("b")
        raise ValueError("boom")
    assert runner.sent == ["a", "b"]


def test_a_rerun_request_interrupts_the_run_at_the_next_write(ctx):
    """As in Streamlit: the member moved the slider again, so this run stops at its next element."""
    context, runner = ctx

    class Rerun(Exception):
        pass

    with pytest.raises(Rerun), delta_batch.batched():
        context.enqueue("a")
        runner.pending = Rerun()
        context.enqueue("b")
        context.enqueue("never")
    assert runner.sent == ["a"]  # what was written before the request still goes out


def test_a_long_run_streams_after_the_hold(ctx):
    """A cold first load or a long solve fills in progressively once the hold has passed."""
    context, runner = ctx
    with delta_batch.batched(hold_s=0.05):
        context.enqueue("early")
        assert runner.sent == []
        time.sleep(0.08)
        context.enqueue("late")
        assert runner.sent == ["early", "late"]
        context.enqueue("later")
        assert runner.sent == ["early", "late", "later"]
    assert runner.sent == ["early", "late", "later"]


def test_a_write_from_another_thread_releases_everything(ctx):
    """st.spinner shows itself from a timer thread: it must appear at once, after what came before it."""
    context, runner = ctx
    with delta_batch.batched():
        context.enqueue("title")
        t = threading.Thread(target=context.enqueue, args=("spinner",))
        t.start()
        t.join()
        assert runner.sent == ["title", "spinner"]
        context.enqueue("after")
        assert runner.sent == ["title", "spinner", "after"]


def test_nested_or_contextless_runs_are_left_alone(ctx, monkeypatch):
    context, runner = ctx
    with delta_batch.batched() as outer:
        with delta_batch.batched() as inner:
            context.enqueue(1)
        assert outer and not inner
        assert runner.sent == []
    assert runner.sent == [1]
    monkeypatch.setattr("streamlit.runtime.scriptrunner_utils.script_run_context.get_script_run_ctx",
                        lambda *a, **k: None)
    with delta_batch.batched() as on:
        assert not on


def test_a_page_run_delivers_the_same_page_as_an_unbatched_run(monkeypatch):
    """The whole app under AppTest: every element arrives once, in the same order, batched or not."""
    import contextlib

    from tests.conftest import assert_no_exception, run_page

    def page_elements(at):
        return [(type(e).__name__, str(getattr(e, "value", ""))[:200]) for e in at.main]

    batched = run_page("pay")
    assert_no_exception(batched)
    calls = []
    monkeypatch.setattr(delta_batch, "batched", lambda *a, **k: calls.append(1) or contextlib.nullcontext(False))
    plain = run_page("pay")
    assert_no_exception(plain)
    assert calls  # the app's run went through the unbatched path
    assert page_elements(batched) == page_elements(plain)
    assert len(page_elements(batched)) > 40
