"""``kafka.security`` in mesh.yaml, ``$STREAMMESH_KAFKA_*`` and ``--kafka-*`` options."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.config import MeshConfig
from streammesh.errors import ConfigError
from streammesh.log import SaslMechanism, SecurityProtocol
from tests.unit.cli.invoking import invoke_cli

SECRET = "do-not-print-me"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SASL_PASSWORD", "SASL_USERNAME", "SASL_MECHANISM", "SECURITY_PROTOCOL"):
        monkeypatch.delenv(f"STREAMMESH_KAFKA_{name}", raising=False)


def _mesh(home: Path, security: str) -> Path:
    home.mkdir(exist_ok=True)
    (home / "mesh.yaml").write_text(
        "log: kafka://broker:9093\nkafka:\n  security:\n" + security, encoding="utf-8"
    )
    return home


def test_file_settings_with_an_environment_reference_make_a_sasl_ssl_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_PASSWORD", SECRET)
    (tmp_path / "ca.pem").write_text("x", encoding="utf-8")
    home = _mesh(
        tmp_path,
        "    sasl_mechanism: SCRAM-SHA-512\n    sasl_username: mesh\n"
        "    sasl_password: ${KAFKA_PASSWORD}\n    ssl_ca_location: ca.pem\n",
    )

    config = MeshConfig.load(home)

    security = config.kafka_security
    assert security.protocol is SecurityProtocol.SASL_SSL  # TLS unless told otherwise
    assert security.sasl_mechanism is SaslMechanism.SCRAM_SHA_512
    assert security.sasl_password is not None
    assert security.sasl_password.get_secret_value() == SECRET
    assert security.ssl_ca_location == (tmp_path / "ca.pem").resolve().as_posix()
    assert SECRET not in repr(config)


def test_options_win_over_the_environment_which_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _mesh(
        tmp_path,
        "    protocol: SASL_PLAINTEXT\n    sasl_mechanism: PLAIN\n"
        "    sasl_username: from-file\n    sasl_password: file-password\n",
    )
    monkeypatch.setenv("STREAMMESH_KAFKA_SASL_USERNAME", "from-env")
    monkeypatch.setenv("STREAMMESH_KAFKA_SASL_PASSWORD", "env-password")

    from_env = MeshConfig.load(home).kafka_security
    from_option = MeshConfig.load(home, kafka_options={"sasl_username": "from-option"})

    assert from_env.sasl_username == "from-env"
    assert from_env.sasl_password is not None
    assert from_env.sasl_password.get_secret_value() == "env-password"
    assert from_option.kafka_security.sasl_username == "from-option"


def test_an_unset_reference_names_the_setting_and_the_variable(tmp_path: Path) -> None:
    home = _mesh(
        tmp_path,
        "    sasl_mechanism: PLAIN\n    sasl_username: u\n    sasl_password: ${NOT_SET_HERE}\n",
    )

    with pytest.raises(ConfigError, match=r"kafka\.security\.sasl_password .*\$\{NOT_SET_HERE\}"):
        MeshConfig.load(home)


@pytest.mark.parametrize(
    ("security", "problem"),
    [
        ("    sasl_mechanism: SCRAM-SHA-256\n    sasl_username: u\n", "needs sasl_password"),
        ("    protocol: PLAINTEXT\n    ssl_ca_location: /etc/hosts\n", "uses no TLS"),
        ("    protocol: SASL_SSL\n", "needs sasl_mechanism"),
        ("    ssl_ca_location: missing-ca.pem\n", "ssl_ca_location: no file at"),
        (
            "    sasl_mechanism: OAUTHBEARER\n",
            "needs oauthbearer_token_endpoint_url",
        ),
        (
            "    ssl_certificate_location: /etc/hosts\n",
            "ssl_certificate_location and ssl_key_location go together",
        ),
    ],
)
def test_settings_that_do_not_go_together_are_refused_by_name(
    tmp_path: Path, security: str, problem: str
) -> None:
    with pytest.raises(ConfigError, match=problem):
        MeshConfig.load(_mesh(tmp_path, security))


def test_a_bad_value_from_the_environment_names_the_variable_not_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMMESH_KAFKA_SASL_MECHANISM", "GSSAPI")
    monkeypatch.setenv("STREAMMESH_KAFKA_SASL_PASSWORD", SECRET)

    with pytest.raises(ConfigError) as error:
        MeshConfig.load(tmp_path, log_url="kafka://127.0.0.1:9")

    assert "$STREAMMESH_KAFKA_SASL_MECHANISM" in str(error.value)
    assert SECRET not in str(error.value)


def test_kafka_variables_of_the_environment_do_not_concern_an_embedded_mesh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Exported for another (Kafka) mesh: a password without a mechanism.
    monkeypatch.setenv("STREAMMESH_KAFKA_SASL_PASSWORD", SECRET)

    config = MeshConfig.load(tmp_path)

    assert config.log_url.startswith("embedded://")
    assert config.kafka_security.sasl_password is None
    with pytest.raises(ConfigError):  # the same variables still count for a Kafka log
        MeshConfig.load(tmp_path, log_url="kafka://127.0.0.1:9")


def test_the_cli_reports_a_missing_password_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMMESH_HOME", str(tmp_path))

    result = invoke_cli(
        "--log",
        "kafka://127.0.0.1:9",
        "--kafka-sasl-mechanism",
        "SCRAM-SHA-512",
        "--kafka-sasl-username",
        "mesh",
        "topics",
        "list",
    )

    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ") and "needs sasl_password" in lines[0]


def test_files_in_mesh_yaml_may_be_relative_to_the_mesh_or_the_home_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / "client.pem").write_text("x", encoding="utf-8")
    (tmp_path / "mesh").mkdir()
    (tmp_path / "mesh" / "client.key").write_text("x", encoding="utf-8")
    home = _mesh(
        tmp_path / "mesh",
        "    ssl_certificate_location: ~/client.pem\n    ssl_key_location: client.key\n",
    )

    security = MeshConfig.load(home).kafka_security

    assert security.protocol is SecurityProtocol.SSL
    assert security.ssl_certificate_location == (tmp_path / "user" / "client.pem").as_posix()
    assert security.ssl_key_location == (tmp_path / "mesh" / "client.key").as_posix()


@pytest.mark.parametrize("command", ["up", "worker"])
def test_up_and_worker_take_the_options_too_over_the_global_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("STREAMMESH_HOME", str(tmp_path))

    result = invoke_cli(
        "--kafka-security-protocol",
        "SASL_SSL",
        "--kafka-sasl-mechanism",
        "PLAIN",
        command,
        "--log",
        "kafka://127.0.0.1:9",
        "--kafka-security-protocol",
        "PLAINTEXT",
    )

    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "sasl_mechanism given but protocol PLAINTEXT uses no SASL" in lines[0]
