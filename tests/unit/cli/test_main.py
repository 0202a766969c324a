"""How ``streammesh`` reports errors and finds its event log."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import streammesh
from streammesh.cli.settings import CliSettings
from streammesh.errors import MeshError, MissingDependency
from tests.unit.cli.invoking import CliResult, invoke_cli


@pytest.fixture
def log_url(tmp_path: Path) -> str:
    return f"embedded://{tmp_path / 'log'}"


def _one_error_line(result: CliResult) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def test_version_is_printed() -> None:
    result = invoke_cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"streammesh {streammesh.__version__}\n"


def test_no_command_shows_help_and_succeeds() -> None:
    result = invoke_cli()
    assert result.exit_code == 0
    assert "topics" in result.stdout
    assert "produce" in result.stdout


def test_an_unknown_option_is_a_usage_error_with_exit_code_2() -> None:
    result = invoke_cli("topics", "list", "--colour")
    assert result.exit_code == 2
    line = _one_error_line(result)
    assert "--colour" in line
    assert "streammesh topics list --help" in line


def test_a_bad_log_url_is_reported_before_any_command_runs() -> None:
    result = invoke_cli("--log", "mysql://db", "topics", "list")
    assert result.exit_code == 2  # ConfigError
    assert "unknown scheme 'mysql'" in _one_error_line(result)


def test_a_mesh_error_exits_with_its_own_code(
    monkeypatch: pytest.MonkeyPatch, log_url: str
) -> None:
    def missing_extra(self: CliSettings, url: str | None = None) -> None:
        raise MissingDependency("the Kafka event log", "kafka")

    monkeypatch.setattr(CliSettings, "open_log", missing_extra)
    result = invoke_cli("--log", log_url, "topics", "list")
    assert result.exit_code == 2  # the README's codes: 0 done, 1 refused, 2 usage/setup
    assert "pip install 'streammesh[kafka]'" in _one_error_line(result)


def test_every_error_exits_with_a_code_the_readme_documents() -> None:
    # The README promises 0 (done), 1 (refused, not found, problems found) and 2 (usage or
    # configuration); a script checking those must not meet a 3 for an unknown product.
    for module in pkgutil.walk_packages(streammesh.__path__, "streammesh."):
        if not module.name.endswith("__main__"):  # that one runs the command line
            importlib.import_module(module.name)
    undocumented = {
        f"{error.__module__}.{error.__name__}": error.exit_code
        for error in _subclasses(MeshError)
        if error.exit_code not in (1, 2)
    }
    assert undocumented == {}


def _subclasses(base: type[MeshError]) -> Iterator[type[MeshError]]:
    for subclass in base.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _explode(self: CliSettings, url: str | None = None) -> None:
    raise ZeroDivisionError("division by zero")


def test_an_unexpected_error_says_it_is_a_bug_and_how_to_see_more(
    monkeypatch: pytest.MonkeyPatch, log_url: str
) -> None:
    monkeypatch.setattr(CliSettings, "open_log", _explode)
    result = invoke_cli("--log", log_url, "topics", "list")
    assert result.exit_code == 1
    line = _one_error_line(result)
    assert "unexpected ZeroDivisionError: division by zero" in line
    assert "--debug" in line


def test_debug_adds_the_traceback(monkeypatch: pytest.MonkeyPatch, log_url: str) -> None:
    monkeypatch.setattr(CliSettings, "open_log", _explode)
    result = invoke_cli("--debug", "--log", log_url, "topics", "list")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "_explode" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("error: unexpected ZeroDivisionError")


def test_debug_shows_the_traceback_of_a_user_mistake_too(log_url: str) -> None:
    result = invoke_cli("--debug", "--log", log_url, "topics", "describe", "missing")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "TopicNotFound" in result.stderr


def test_ctrl_c_exits_130_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, log_url: str
) -> None:
    def interrupted(self: CliSettings, url: str | None = None) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(CliSettings, "open_log", interrupted)
    result = invoke_cli("--log", log_url, "topics", "list")
    assert result.exit_code == 130
    assert "Traceback" not in result.stderr


def test_the_default_log_is_embedded_in_streammesh_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "mesh"
    monkeypatch.setenv("STREAMMESH_HOME", str(home))
    monkeypatch.delenv("STREAMMESH_LOG", raising=False)
    assert invoke_cli("topics", "create", "orders").exit_code == 0
    assert (home / "log").is_dir()
    listed = invoke_cli("--log", f"embedded://{home / 'log'}", "topics", "list", "--json")
    assert '"name":"orders"' in listed.stdout


def test_without_streammesh_home_the_mesh_is_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("STREAMMESH_HOME", raising=False)
    monkeypatch.delenv("STREAMMESH_LOG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert invoke_cli("topics", "create", "orders").exit_code == 0
    assert (tmp_path / ".streammesh" / "log").is_dir()


def test_streammesh_log_names_the_log(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STREAMMESH_HOME", str(tmp_path / "unused"))
    monkeypatch.setenv("STREAMMESH_LOG", f"embedded://{tmp_path / 'elsewhere'}")
    assert invoke_cli("topics", "create", "orders").exit_code == 0
    assert (tmp_path / "elsewhere").is_dir()
    assert not (tmp_path / "unused").exists()
