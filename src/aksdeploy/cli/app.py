"""The ``aksdeploy`` command: its sub-commands, and the one place errors become messages and exit codes.

Exit codes: 0 ok, 1 failure, 2 bad input or config, 3 ``plan --detailed-exitcode`` with pending changes.
"""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType
from typing import Annotated

import typer

from aksdeploy import __version__
from aksdeploy.cli import ci_cmd, config_cmd, doctor_cmd, images, init_cmd, plan, provision, release, render
from aksdeploy.cli.output import error
from aksdeploy.core.errors import AksDeployError, Interrupted

app = typer.Typer(
    name="aksdeploy",
    help="Provision and ship a Django app on AKS behind Application Gateway WAF_v2, from one aksdeploy.toml.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: half the start-up time of rich-formatted help
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("init")(init_cmd.init)
app.command("plan")(plan.plan)
app.command("render")(render.render)
app.command("provision")(provision.provision)
app.command("destroy")(provision.destroy)
app.command("build")(images.build)
app.command("push")(images.push)
app.command("deploy")(release.deploy)
app.command("release")(release.release)
app.command("status")(release.status)
app.command("logs")(release.logs)
app.command("rollback")(release.rollback)
app.command("doctor")(doctor_cmd.doctor)
app.add_typer(config_cmd.app, name="config")
app.add_typer(ci_cmd.app, name="ci")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aksdeploy {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Log details and show tracebacks.")] = False,
) -> None:
    """Provision and ship a Django app on AKS behind Application Gateway WAF_v2."""
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _debugging(argv: list[str]) -> bool:
    return "--debug" in argv


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(
        "interrupted; what finished stays finished",
        "rerun the same command: every step is safe to repeat, and it carries on from where Azure and the cluster are",
    )


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with its status."""
    args = sys.argv[1:] if argv is None else argv
    # Typer would swallow KeyboardInterrupt; raise our own error instead so the user hears what to do next.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        # Standalone mode: Typer reports usage errors itself (exit 2) and exits with a command's typer.Exit code.
        app(args=args, prog_name="aksdeploy")
    except KeyboardInterrupt:
        error("interrupted", "rerun the same command: every step is safe to repeat")
        sys.exit(130)
    except AksDeployError as exc:
        if _debugging(args):
            raise
        error(exc.message, exc.suggestion)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if _debugging(args):
            raise
        error(f"internal error: {type(exc).__name__}: {exc}", "run again with --debug for details")
        sys.exit(1)
