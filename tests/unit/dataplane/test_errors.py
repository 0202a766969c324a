"""The data plane's errors say what was refused, where, and that nothing was written."""

from __future__ import annotations

from streammesh.dataplane import EventProblem, InvalidEvent, UnreadableEvent
from streammesh.errors import MeshError
from streammesh.schemas import InvalidEvent as SchemaInvalidEvent


def test_invalid_event_names_product_field_and_rule_and_is_also_the_schema_error() -> None:
    error = InvalidEvent(
        "execution.stocktrades.v1",
        "execution.Trade",
        [EventProblem("price", "type", "must be a number, not 'x' (str)")],
    )
    assert isinstance(error, SchemaInvalidEvent)
    assert isinstance(error, MeshError)
    assert (error.product, error.path, error.rule) == ("execution.stocktrades.v1", "price", "type")
    message = str(error)
    assert "'execution.stocktrades.v1'" in message
    assert "field 'price' must be a number" in message
    assert "nothing was written" in message


def test_a_refused_batch_lists_the_first_problems_with_their_index_and_counts_the_rest() -> None:
    problems = [EventProblem("qty", "minimum", "must be >= 1", index) for index in range(3, 10)]
    error = InvalidEvent("execution.stocktrades.v1", "execution.Trade", problems, events=50)
    message = str(error)
    assert message.startswith("7 of 50 events refused by product 'execution.stocktrades.v1'")
    assert "event #3: field 'qty'" in message
    assert "event #7: field 'qty'" in message
    assert "event #8" not in message
    assert "and 2 more" in message
    assert [problem.index for problem in error.problems] == list(range(3, 10))


def test_unreadable_event_names_topic_partition_and_offset() -> None:
    error = UnreadableEvent(
        "execution.stocktrades.v1", "execution.stocktrades.v1", 2, 41, "the magic byte is 123"
    )
    assert "offset 41 of topic 'execution.stocktrades.v1' partition 2" in str(error)
    assert "the magic byte is 123" in str(error)
