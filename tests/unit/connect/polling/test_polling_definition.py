"""jdbc-poll and files connectors defined in YAML, as users write them."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.connect.definition import parse_definition
from streammesh.connect.errors import DefinitionInvalid
from streammesh.connect.files import Config as FilesConfig
from streammesh.connect.polling import Config as PollingConfig
from streammesh.connect.polling import Mode

POLLING = """\
name: customers-poll
kind: jdbc-poll
principal: crm-poll-sa
config:
  url: ${CRM_DB_URL}
  tables: {public.customers: crm.customers}
  mode: timestamp+incrementing
  timestamp_column: updated_at
  incrementing_column: id
  key: id
  poll_interval: 5s
  timestamp_delay_interval: 2s
  soft_delete: {column: deleted_at}
"""


def test_a_polling_definition_with_its_url_from_the_environment() -> None:
    url = "postgresql://crm:s3cret@db/crm"
    definition = parse_definition(POLLING, environ={"CRM_DB_URL": url})
    config = definition.config
    assert isinstance(config, PollingConfig)
    assert config.mode is Mode.TIMESTAMP_INCREMENTING
    assert (config.poll_interval, config.timestamp_delay_interval) == (5_000, 2_000)
    assert config.key == ["id"]
    assert config.url.get_secret_value() == url
    assert "s3cret" not in repr(config)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("5s", "5 parsecs", ":11:3: field 'config.poll_interval'"),
        ("  incrementing_column: id\n", "", "needs 'incrementing_column'"),
        ("updated_at", "updated at", "'updated at' is not a plain SQL name"),
    ],
)
def test_a_polling_mistake_is_named_without_the_secret(old: str, new: str, expected: str) -> None:
    text = POLLING.replace(old, new)
    with pytest.raises(DefinitionInvalid) as caught:
        parse_definition(text, environ={"CRM_DB_URL": "postgresql://crm:s3cret@db/crm"})
    assert expected in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_a_files_definition(tmp_path: Path) -> None:
    text = f"""\
name: views-files
kind: files
principal: web-files-sa
config:
  folder: {tmp_path}
  product: web.page-views
  columns: {{amount: "numeric(10,2)"}}
  stable_after: 0s
  move_done: true
"""
    config = parse_definition(text).config
    assert isinstance(config, FilesConfig)
    assert config.folder == tmp_path and config.stable_after == 0 and config.move_done
