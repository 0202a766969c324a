"""A process that runs one connector takes its start-up objects out of the collector's
full collections (``streammesh connect run`` does, once the worker started)."""

from __future__ import annotations

import gc

from streammesh.connect.worker import freeze_start_up_objects


def test_objects_alive_at_start_up_are_no_longer_walked_and_newer_ones_still_are() -> None:
    start_up = [object()]
    try:
        freeze_start_up_objects()
        later = [object()]
        tracked = gc.get_objects()
        assert not any(o is start_up for o in tracked)
        assert any(o is later for o in tracked)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the test process goes on collecting as before
