"""The ``care-sim`` command line: a registry of subcommands on shared options.

Every model parameter is a flag (``--population 50000``, ``--hourly-price-eur 65``),
generated from the parameter table ``sim.params.PARAMS``; only the flags you give
override the scenario. Bad input ends with exit code 2 and one line on stderr.

The commands live in :mod:`sim.commands`. Another module adds one with :func:`register`
and by being listed in :data:`COMMAND_MODULES`::

    from sim.cli import Command, register

    def _setup(p):                      # the command's own arguments (argparse)
        p.add_argument("folder", type=Path, metavar="DIR")

    def _analyze(args) -> int:          # gets the parsed arguments, returns the exit code
        ...

    register(Command("analyze", help="...", description="...", examples=["care-sim analyze results/x"],
                     run=_analyze, setup=_setup, options={"workers": {}}))

``options`` picks shared options by name (:data:`SHARED`: scenario, seed, replicates,
workers, scheduler, out, resume, params), each with keyword overrides for
``add_argument`` (``{"seed": {"default": 7}}``); tables are rendered with :func:`table`.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import math
import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .params import PARAMS, ScenarioError

PROG = "care-sim"
#: Modules whose import registers commands (in the order of ``care-sim --help``).
COMMAND_MODULES: list[str] = ["sim.commands", "sim.commands_analysis", "sim.app"]


class UsageError(Exception):
    """Bad command-line input; reported as one line and exit code 2."""


class OutputError(Exception):
    """Results could not be written, or a run failed; one line and exit code 1."""


class Interrupted(Exception):
    """Ctrl-C; the message says what was kept (exit code 130)."""


# --- the registry ----------------------------------------------------------------------------


@dataclass
class Command:
    """A subcommand.

    Attributes:
        name: the command word.
        help: one line for ``care-sim --help``.
        description: a paragraph for ``care-sim NAME --help``.
        examples: lines ``care-sim NAME ...   what it does`` for the help's epilog.
        run: ``run(args) -> exit code``; ``args.argv`` is the full command line.
        setup: adds the command's own arguments to its parser.
        options: the shared options it takes, by name, with ``add_argument`` overrides.
        usage: a usage line (default: argparse's).
    """

    name: str
    help: str
    description: str
    examples: Sequence[str]
    run: Callable[[argparse.Namespace], int]
    setup: Callable[[argparse.ArgumentParser], None] | None = None
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    usage: str | None = None


COMMANDS: dict[str, Command] = {}


def register(command: Command) -> Command:
    """Add a subcommand (a later registration of the same name replaces the earlier)."""
    COMMANDS[command.name] = command
    return command


# --- parser plumbing ---------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting."""

    #: The subcommand parsers by name (set on the top-level parser).
    commands: dict[str, argparse.ArgumentParser]

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _terminal_width() -> int:
    return shutil.get_terminal_size(fallback=(100, 24)).columns


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34, width=min(120, _terminal_width()))

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        # argparse measures subcommand names without their extra indent; without this
        # a long name ("scenarios") is pushed onto a line of its own.
        if action.help is not argparse.SUPPRESS and hasattr(action, "_get_subactions"):
            names = [self._format_action_invocation(a) for a in action._get_subactions()]
            longest = max(map(len, names), default=0) + self._current_indent + self._indent_increment
            self._action_max_length = max(self._action_max_length, longest)


def wrap(text: str) -> str:
    return textwrap.fill(text, width=min(100, _terminal_width()) - 2)


# --- argument types ----------------------------------------------------------------------------


def _number_type(kind: type, ok: Callable[[float], bool], requirement: str) -> Callable[[str], Any]:
    """An argparse ``type``: ``kind(text)`` that satisfies ``ok``, else a message with the
    value and ``requirement``."""
    noun = "a whole number" if kind is int else "a number"

    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"{value:g} must be {requirement}")
        return value

    return convert


positive_int = _number_type(int, lambda v: v >= 1, "at least 1")
seed_type = _number_type(int, lambda v: v >= 0, "0 or more")
fraction = _number_type(float, lambda v: 0 < v <= 1, "a fraction in (0, 1]")
positive_float = _number_type(float, lambda v: v > 0 and math.isfinite(v), "above 0")


def names(text: str) -> list[str]:
    """A comma-separated list (``--funding a,b``)."""
    return [n.strip() for n in text.split(",") if n.strip()]


# --- parameter flags ---------------------------------------------------------------------------


def show_value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _number(kind: type):
    """An argparse ``type`` that turns numbers into numbers and leaves anything else as
    text, so that ``load_scenario`` does all validation (with its clear messages)."""

    def convert(text: str) -> Any:
        if kind is int:
            with contextlib.suppress(ValueError):
                return int(text)
        with contextlib.suppress(ValueError):
            return float(text)
        return text

    return convert


def _nullable(inner):
    def convert(text: str) -> Any:
        return None if text.strip().lower() in ("none", "auto", "default") else inner(text)

    return convert


def _add_param_flags(parser: argparse.ArgumentParser, exclude: Sequence[str] = ()) -> None:
    """A flag for every parameter of PARAMS (``exclude``: the command has its own flag of
    that name), with unit, allowed range and default in its help."""
    group = parser.add_argument_group(
        "model parameters",
        wrap(
            "Each flag overrides one value of the scenario; values outside the bounds are refused. "
            "`care-sim show NAME` lists them with their sources. Flags also accept underscores "
            "(--hourly_price_eur)."
        ),
    )
    for p in PARAMS:
        if p.name in exclude:
            continue
        dashed, under = "--" + p.name.replace("_", "-"), "--" + p.name
        unit = f" {p.unit}" if p.unit else ""
        allowed = (
            f"{p.bounds_text()}{unit}" if (p.choices or p.kind is bool) else f"{p.unit}; allowed {p.bounds_text()}"
        )
        if p.nullable:
            allowed += " or none"
        help_text = f"{p.meaning} ({allowed.strip('; ')}; default {show_value(p.default)})".replace("%", "%%")
        kwargs: dict[str, Any] = {"dest": p.name, "default": argparse.SUPPRESS, "help": help_text}
        if p.choices:  # checked by load_scenario, which also suggests the nearest choice
            kwargs.update(metavar="{" + ",".join(p.choices) + "}")
        elif p.kind is bool:
            kwargs.update(metavar="{true,false}")
        else:
            convert = _number(p.kind)
            kwargs.update(type=_nullable(convert) if p.nullable else convert, metavar="N" if p.kind is int else "X")
        group.add_argument(dashed, **kwargs)
        if under != dashed:
            group.add_argument(under, **{**kwargs, "help": argparse.SUPPRESS})


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The parameter flags given on the command line."""
    return {p.name: getattr(args, p.name) for p in PARAMS if hasattr(args, p.name)}


# --- shared options ----------------------------------------------------------------------------


def _workers_help() -> str:
    from .experiments import default_workers

    return f"local worker processes (default: the number of cores, here {default_workers()}; 1: no pool)"


#: The shared options: name -> (flags, add_argument keywords). Declared once, taken by
#: each command by name.
SHARED: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "scenario": (
        ("--scenario",),
        {
            "default": "default",
            "metavar": "NAME|FILE.toml",
            "help": "a shipped scenario name (see `care-sim scenarios`) or a TOML file (default: default)",
        },
    ),
    "seed": (("--seed",), {"type": seed_type, "default": 0, "metavar": "N", "help": "random seed (default: 0)"}),
    "replicates": (
        ("--replicates",),
        {"type": positive_int, "default": 5, "metavar": "N", "help": "runs per parameter set (default: 5)"},
    ),
    "workers": (("--workers",), {"type": positive_int, "default": None, "metavar": "N"}),
    "scheduler": (
        ("--scheduler",),
        {
            "default": None,
            "metavar": "tcp://HOST:PORT",
            "help": "run on a Dask cluster through this scheduler instead of local workers",
        },
    ),
    "out": (
        ("--out",),
        {
            "type": Path,
            "default": None,
            "metavar": "DIR",
            "help": "results folder to create; must not exist or be empty (default: results/<command>-<date>-<time>)",
        },
    ),
    "resume": (
        ("--resume",),
        {
            "type": Path,
            "default": None,
            "metavar": "DIR",
            "help": "finish a results folder that was interrupted: run only its missing runs, then write its outputs",
        },
    ),
}


def _add_shared(parser: argparse.ArgumentParser, options: Mapping[str, Mapping[str, Any]]) -> None:
    for name, extra in options.items():
        if name == "params":
            _add_param_flags(parser, exclude=extra.get("exclude", ()))
            continue
        flags, kwargs = SHARED[name]
        kwargs = {**kwargs, **extra}
        if name == "workers" and "help" not in kwargs:
            kwargs["help"] = _workers_help()
        parser.add_argument(*flags, **kwargs)


def _epilog(examples: Sequence[str]) -> str:
    return ("examples:\n" if len(examples) > 1 else "example:\n") + "".join(f"  {e}\n" for e in examples)


def build_parser() -> argparse.ArgumentParser:
    """The ``care-sim`` argument parser with every registered subcommand."""
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    examples = [e for c in COMMANDS.values() for e in c.examples[:1]]
    parser = _Parser(
        prog=PROG,
        description=wrap(
            "care-sim: an agent-based simulation of how a Dutch municipality's way of paying for "
            "social care (Wmo) - fee for service, lump sum or subsidy - changes care volume, "
            "under-service and cost."
        ),
        epilog=_epilog([*examples, f"{PROG} run --help                         the flags of a command"]),
        formatter_class=_Formatter,
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND", parser_class=_Parser)
    for c in COMMANDS.values():
        p = sub.add_parser(
            c.name,
            usage=c.usage,
            help=c.help,
            description=c.description,
            epilog=_epilog(c.examples),
            formatter_class=_Formatter,
            allow_abbrev=False,
        )
        if c.setup is not None:
            c.setup(p)
        _add_shared(p, c.options)
        p.set_defaults(func=c.run)
    parser.commands = dict(sub.choices)
    return parser


def _known_flags(parser: argparse.ArgumentParser) -> list[str]:
    flags = [s for a in parser._actions for s in a.option_strings if s.startswith("--")]
    return list(dict.fromkeys(flags))


def _unrecognised(parser: argparse.ArgumentParser, command: str | None, extras: list[str]) -> str:
    """One-line message for unknown arguments, suggesting the nearest known flag."""
    flags = [e for e in extras if e.startswith("-")]
    if not flags:
        return f"unrecognized arguments: {' '.join(extras)}"
    bad = flags[0].split("=", 1)[0]
    known = _known_flags(getattr(parser, "commands", {}).get(command, parser))
    # Suggest the dashed spelling: compare against it after normalising underscores.
    dashed = {f.replace("_", "-"): f for f in known}
    hint = difflib.get_close_matches(bad.replace("_", "-"), list(dashed), n=1, cutoff=0.6)
    where = f"{PROG} {command}" if command else PROG
    extra = f"; did you mean {hint[0]}?" if hint else f"; `{where} --help` lists the flags"
    return f"unrecognized argument {bad}{extra}"


def _check_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Reject an unknown command with a suggestion (the top level has no options with values)."""
    command = next((a for a in argv if not a.startswith("-")), None)
    commands = list(getattr(parser, "commands", {}))
    if command is None or command in commands or "--" in argv[: argv.index(command)]:
        return
    hint = difflib.get_close_matches(command, commands, n=1)
    extra = f"; did you mean {hint[0]}?" if hint else ""
    raise UsageError(f"unknown command {command!r}: choose from {', '.join(commands)}{extra}")


# --- output ------------------------------------------------------------------------------------


def output_width() -> int | None:
    """The terminal width when printing to a terminal; None (do not wrap) when piped."""
    try:
        return _terminal_width() if sys.stdout.isatty() else None
    except (AttributeError, ValueError):
        return None


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    right: Sequence[bool],
    wrap_cols: Mapping[int, int | None] | None = None,
    width: int | None = None,
) -> str:
    """An aligned plain-text table (tabulate's "simple" format; cells printed as given).

    If ``width`` is given and the table is wider, the columns in ``wrap_cols`` are wrapped:
    a column with a cap gets at most that width, the others share what is left.
    """
    from tabulate import tabulate

    cells = [[str(c) for c in r] for r in rows]
    maxw = None
    if width is not None and wrap_cols:
        widths = [max(len(x) for x in col) for col in zip(headers, *cells, strict=True)]
        gap = 2 * (len(widths) - 1)
        if sum(widths) + gap > width:
            maxw = [None] * len(widths)
            fixed = sum(w for i, w in enumerate(widths) if i not in wrap_cols) + gap
            for i, cap in wrap_cols.items():
                if cap is not None:
                    maxw[i] = max(8, min(widths[i], cap))
                    fixed += maxw[i]
            shared = [i for i, cap in wrap_cols.items() if cap is None]
            for i in shared:
                maxw[i] = max(12, (width - fixed) // max(1, len(shared)))
    return tabulate(
        cells,
        headers=list(headers),
        tablefmt="simple",
        disable_numparse=True,
        colalign=["right" if r else "left" for r in right],
        maxcolwidths=maxw,
    )


def fmt(value: float) -> str:
    """A summary value for a table: readable, not full precision (use --json for that)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if float(value).is_integer():
        return f"{value:.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3f}"


def years_text(n: int) -> str:
    return f"{n} year" if n == 1 else f"{n} years"


# --- entry point -------------------------------------------------------------------------------


def error(message: str, code: int = 2) -> int:
    text = " ".join(str(message).split())  # one line, always
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``care-sim`` command line.

    Args:
        argv: the arguments without the program name; default ``sys.argv[1:]``.

    Returns:
        The exit code: 0 success, 2 bad input (one line on stderr), 1 output could not be
        written or a run failed, 130 interrupted.
    """
    from .experiments import DesignRunError, ExecutorError, ResultsError

    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser()
        _check_command(parser, argv)
        try:
            args, extras = parser.parse_known_args(argv)
        except SystemExit as exc:  # --help, --version
            return exc.code if isinstance(exc.code, int) else 0
        if extras:
            raise UsageError(_unrecognised(parser, getattr(args, "command", None), extras))
        if args.command is None:
            raise UsageError(f"choose a command: {', '.join(parser.commands)} (`{PROG} --help` explains them)")
        args.argv = [PROG, *argv]
        with _log_to_stderr():
            return args.func(args)
    except (UsageError, ScenarioError, ResultsError, ExecutorError) as exc:
        return error(str(exc))
    except (OutputError, DesignRunError) as exc:
        return error(str(exc), code=1)
    except (KeyboardInterrupt, Interrupted) as exc:  # the progress bar (leave=False) has cleared its line
        detail = f"; {exc}" if isinstance(exc, Interrupted) else ""
        print(f"{PROG}: interrupted{detail}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `care-sim show default | head`
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 1
    except OSError as exc:  # unreadable scenario file, full disk, no permission to write results
        where = f": {exc.filename}" if exc.filename else ""
        return error(f"{exc.strerror or exc}{where}", code=1)


@contextlib.contextmanager
def _log_to_stderr():
    """The engine's reports (e.g. temporary files removed after a crash) as lines on stderr."""
    import logging

    logger = logging.getLogger("sim.experiments")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


if __name__ == "__main__":  # ``python -m sim.cli``: run the module the commands register into
    from sim.cli import main as _main

    raise SystemExit(_main())
