from __future__ import annotations

import signal

import pytest

from streammesh.cli.interrupt import GracefulInterrupt


def test_the_first_ctrl_c_is_a_request_and_the_second_interrupts() -> None:
    # Python's own handler, as in an interactive shell; a process started in the background
    # by a non-interactive shell (as CI may be) inherits SIGINT ignored instead.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with GracefulInterrupt() as interrupt:
            assert not interrupt.requested
            signal.raise_signal(signal.SIGINT)
            assert interrupt.requested
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, inherited)


def test_the_previous_handler_is_back_after_a_quiet_run() -> None:
    before = signal.getsignal(signal.SIGINT)
    with GracefulInterrupt() as interrupt:
        pass
    assert not interrupt.requested
    assert signal.getsignal(signal.SIGINT) is before
