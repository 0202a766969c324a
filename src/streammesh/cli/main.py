"""The ``streammesh`` application: global options, command groups, and error reporting.

:func:`main` is the one place where errors become what a person sees: a
:class:`~streammesh.errors.MeshError` (a user mistake the code recognised) or a usage error
prints one ``error: ...`` line on stderr and exits with the error's code; anything else is a
bug, reported in one line with a hint to rerun with ``--debug``, which adds the traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.console import Console

import streammesh
from streammesh.cli import (
    access,
    accounts,
    connect,
    consume,
    demo,
    forget,
    governance,
    init,
    keys,
    lifecycle,
    lineage,
    login,
    migrate,
    notify,
    observe,
    owners,
    plan,
    produce,
    products,
    schemas,
    streams,
    tokens,
    topics,
    up,
    validate,
    worker,
)
from streammesh.cli.interrupt import EXIT_INTERRUPTED
from streammesh.cli.kafka_options import (
    KafkaCaOption,
    KafkaCertificateOption,
    KafkaKeyOption,
    KafkaMechanismOption,
    KafkaProtocolOption,
    KafkaUsernameOption,
    kafka_options,
)
from streammesh.cli.settings import LOG_ENV, CliSettings
from streammesh.errors import MeshError
from streammesh.log import DEFAULT_MAX_RECORD_BYTES, parse_log_url

PROG_NAME = "streammesh"

app = typer.Typer(
    name=PROG_NAME,
    help="streammesh: event streams as data products. Topics, produce and consume on the mesh's "
    "event log (embedded by default, or Kafka).",
    add_completion=False,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(topics.app, name="topics")
app.command("produce")(produce.produce)
app.command("consume")(consume.consume)
app.command("demo")(demo.demo)
app.command("up")(up.up)
app.command("worker")(worker.worker)
app.command("migrate")(migrate.migrate)
app.command("init")(init.init)
app.command("validate")(validate.validate)
app.add_typer(tokens.app, name="token")
app.add_typer(schemas.app, name="schemas")
app.command("login")(login.login)
app.command("logout")(login.logout)
app.command("plan")(plan.plan)
app.command("apply")(plan.apply)
app.command("deprecate")(lifecycle.deprecate)
app.command("retire")(lifecycle.retire)
app.add_typer(products.app, name="products")
app.add_typer(owners.domains_app, name="domains")
app.add_typer(owners.teams_app, name="teams")
app.add_typer(accounts.app, name="accounts")
app.add_typer(access.app, name="access")
app.command("forget")(forget.forget)
app.add_typer(keys.app, name="keys")
app.add_typer(governance.app, name="governance")
app.add_typer(lineage.app, name="lineage")
app.add_typer(notify.subscriptions_app, name="subscriptions")
app.command("inbox")(notify.inbox)
app.add_typer(notify.incident_app, name="incident")
app.add_typer(notify.notify_app, name="notify")
app.command("status")(observe.status)
app.command("lag")(observe.lag)
app.add_typer(observe.slo_app, name="slo")
app.add_typer(streams.app, name="streams")
app.add_typer(connect.app, name="connect")


def _settings(ctx: typer.Context) -> CliSettings:
    return ctx.ensure_object(CliSettings)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"{PROG_NAME} {streammesh.__version__}")
        raise typer.Exit()


def _enable_debug(ctx: typer.Context, value: bool) -> bool:
    # Eager, so that errors raised while the other options are checked already see it.
    _settings(ctx).debug = value
    return value


@app.callback()
def _global_options(
    ctx: typer.Context,
    log: Annotated[
        str | None,
        typer.Option(
            "--log",
            envvar=LOG_ENV,
            metavar="URL",
            show_default=False,
            help="Event log URL: embedded:///path/to/dir or kafka://host:port. "
            "Default: the embedded log in $STREAMMESH_HOME (or ./.streammesh).",
        ),
    ] = None,
    max_record_bytes: Annotated[
        int,
        typer.Option(
            "--max-record-bytes",
            min=1,
            metavar="N",
            help="Largest record (key + value + headers) accepted.",
        ),
    ] = DEFAULT_MAX_RECORD_BYTES,
    kafka_security_protocol: KafkaProtocolOption = None,
    kafka_sasl_mechanism: KafkaMechanismOption = None,
    kafka_sasl_username: KafkaUsernameOption = None,
    kafka_ssl_ca_location: KafkaCaOption = None,
    kafka_ssl_certificate_location: KafkaCertificateOption = None,
    kafka_ssl_key_location: KafkaKeyOption = None,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", is_eager=True, callback=_enable_debug, help="Show tracebacks on errors."
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_show_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    settings = _settings(ctx)
    if log is not None:
        parse_log_url(log)  # a bad URL is reported before any command starts
    settings.log_url = log
    settings.max_record_bytes = max_record_bytes
    settings.kafka_options = kafka_options(
        ctx,
        protocol=kafka_security_protocol,
        sasl_mechanism=kafka_sasl_mechanism,
        sasl_username=kafka_sasl_username,
        ssl_ca_location=kafka_ssl_ca_location,
        ssl_certificate_location=kafka_ssl_certificate_location,
        ssl_key_location=kafka_ssl_key_location,
    )
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _report(message: str) -> None:
    # Plain echo, not Rich: user text (file names, JSON) must not be read as markup.
    typer.echo(f"error: {_one_line(message)}", err=True)


def run(args: Sequence[str] | None = None) -> int:
    """Run the command line with ``args`` (default: ``sys.argv[1:]``); return the exit code."""
    settings = CliSettings()
    command = typer.main.get_command(app)
    try:
        result = command.main(
            args=list(args) if args is not None else None,
            prog_name=PROG_NAME,
            standalone_mode=False,
            obj=settings,
        )
    except MeshError as exc:
        if settings.debug:
            Console(stderr=True).print_exception()
        _report(str(exc))
        return exc.exit_code
    except typer.Abort:
        _report("aborted")
        return 1
    except typer.TyperException as exc:  # usage errors: bad options, missing arguments
        hint = ""
        # Usage errors carry the Click context of the command they are about; Typer does not
        # export their class, so the attribute is read rather than the type checked.
        context = getattr(exc, "ctx", None)
        if context is not None:
            hint = f" (see '{context.command_path} --help')"
        _report(exc.format_message() + hint)
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        if settings.debug:
            Console(stderr=True).print_exception()
            _report(f"unexpected {type(exc).__name__}: {exc}")
        else:
            _report(
                f"unexpected {type(exc).__name__}: {exc} "
                f"(this is a bug; rerun with --debug to see the traceback)"
            )
        return 1
    # Typer returns the exit code of an explicit `typer.Exit`, and the command's result
    # otherwise; commands return None.
    return result if isinstance(result, int) else 0


def main() -> None:
    """Entry point of the ``streammesh`` console script."""
    sys.exit(run())
