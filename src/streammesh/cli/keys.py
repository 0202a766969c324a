"""``streammesh keys rotate``: re-wrap every data key of the mesh under a new master key.

Runs where the mesh is (``--mesh``/``--store``, never through a server: it needs the master
keys). The keys are unwrapped by the key service ``privacy.kms`` configures (its current and
previous keys) and wrapped again by the target: the new local master key given with
``--new-key-file``/``--new-key-env``, the AWS KMS key given with ``--new-key-id``, or, with
none of them, the configured current key (after the new key was configured and the old one
listed under ``privacy.kms.previous``). Events are not touched. An interrupted rotation
continues where it stopped when run again; each completed run is audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from streammesh.cli.errors import CliError
from streammesh.cli.mesh_connection import cli_actor, local_runtime
from streammesh.cli.options import JsonOption, MeshOption, StoreOption
from streammesh.cli.output import print_json, stderr_console, stderr_is_terminal, stdout_console
from streammesh.config import AwsKmsSettings, LocalKmsSettings

if TYPE_CHECKING:
    from streammesh.privacy import Kms, RotationProgress
    from streammesh.runtime import MeshRuntime

app = typer.Typer(
    help="Master keys of encrypted fields: re-wrap the data keys under a new one.",
    no_args_is_help=True,
)


class NewKeyRefused(CliError):
    """The new master key given to ``keys rotate`` cannot be used; nothing was re-wrapped."""

    def __init__(self, option: str, reason: str) -> None:
        self.option = option
        self.reason = reason
        super().__init__(f"{option}: {reason}; nothing was re-wrapped")


@app.command("rotate")
def rotate(
    ctx: typer.Context,
    new_key_file: Annotated[
        Path | None,
        typer.Option(
            "--new-key-file",
            metavar="PATH",
            show_default=False,
            help="The new local master key: a file holding it (32 bytes or their base64 text, "
            "mode 0600), made by you, e.g. 'openssl rand -base64 32'.",
        ),
    ] = None,
    new_key_env: Annotated[
        str | None,
        typer.Option(
            "--new-key-env",
            metavar="NAME",
            show_default=False,
            help="The new local master key: an environment variable holding its base64 text.",
        ),
    ] = None,
    new_key_id: Annotated[
        str | None,
        typer.Option(
            "--new-key-id",
            metavar="ID",
            show_default=False,
            help="The new AWS KMS key (id, ARN or alias/...), when privacy.kms is aws.",
        ),
    ] = None,
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, max=10_000, help="Keys re-wrapped per transaction."),
    ] = 200,
    as_json: JsonOption = False,
    mesh: MeshOption = None,
    store: StoreOption = None,
) -> None:
    """Re-wrap every data key under a new master key (events are not touched; resumable).

    Without --new-key-*, the target is the current key of privacy.kms in mesh.yaml.
    """
    from streammesh.privacy import rotate_keys

    given = [
        name
        for name, value in (
            ("--new-key-file", new_key_file),
            ("--new-key-env", new_key_env),
            ("--new-key-id", new_key_id),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise typer.BadParameter(f"give one of {', '.join(given)}, not several")
    with local_runtime(ctx, mesh, store) as runtime:
        target = _target(runtime, new_key_file, new_key_env, new_key_id)
        with _progress(enabled=not as_json and stderr_is_terminal()) as show:
            summary = rotate_keys(
                runtime.store,
                runtime.keys.kms,
                target,
                actor=cli_actor(),
                batch_size=batch_size,
                on_batch=show,
            )
    if as_json:
        print_json(summary.as_dict())
        return
    console = stdout_console()
    console.soft_wrap = True
    console.print(
        f"re-wrapped {summary.rewrapped} key(s) under master key {summary.key_id} "
        f"({summary.already_rotated} already were); no event was changed."
    )
    if given:
        console.print(
            "Next: configure the new key as privacy.kms on every replica (keep the old one "
            "under privacy.kms.previous until all have restarted), then run 'streammesh keys "
            "rotate' again to re-wrap keys made meanwhile."
        )


def _target(
    runtime: MeshRuntime, key_file: Path | None, key_env: str | None, key_id: str | None
) -> Kms:
    """The key service that wraps the keys again."""
    from streammesh.privacy import KeyStore, LocalKms, MasterKeySource

    settings = runtime.config.kms
    if key_file is not None or key_env is not None:
        option = "--new-key-file" if key_file is not None else "--new-key-env"
        if not isinstance(settings, LocalKmsSettings):
            raise NewKeyRefused(
                option, f"this mesh's privacy.kms is '{settings.type}', not 'local'"
            )
        source = MasterKeySource(
            file=key_file.expanduser().resolve() if key_file is not None else None,
            env=key_env,
            setting=option,
        )
        if source.read() is None:
            raise NewKeyRefused(
                option,
                f"the new master key {source.label} does not exist; make one, e.g. "
                "'openssl rand -base64 32', keep it in your secret store, and give it here",
            )
        return LocalKms(source, KeyStore(runtime.store).wrapped_keys)
    if key_id is not None:
        from streammesh.privacy import AwsKms

        if not isinstance(settings, AwsKmsSettings):
            raise NewKeyRefused(
                "--new-key-id", f"this mesh's privacy.kms is '{settings.type}', not 'aws'"
            )
        return AwsKms(key_id, region=settings.region, endpoint_url=settings.endpoint_url)
    return runtime.keys.kms


@contextmanager
def _progress(*, enabled: bool) -> Iterator[Callable[[RotationProgress], None]]:
    """A progress bar on stderr when a person watches it; else nothing is shown."""
    if not enabled:
        yield lambda _progress: None
        return
    with Progress(
        TextColumn("re-wrapping data keys"),
        BarColumn(),
        MofNCompleteColumn(),
        console=stderr_console(),
        transient=True,
    ) as bar:
        task = bar.add_task("rotate", total=None)

        def show(progress: RotationProgress) -> None:
            bar.update(task, completed=progress.done, total=progress.total)

        yield show
