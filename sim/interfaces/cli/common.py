"""What every command shares: the one-line error style (exit code 2), output-path checks, the
interruption handling (SIGINT/SIGTERM: cleanup, one line, exit 130/143), shell completion and the
options several commands take."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from pathlib import Path

import click
from click.shell_completion import CompletionItem

from sim.analysis import convergence
from sim.core import files, shipped, sizes
from sim.results import reading as results
from sim.scenario import ScenarioError, load_scenario


def resolve_scenario(name: str) -> Path:
    """A path as given if it exists, else ``scenarios/<name>[.toml]`` (./scenarios, then shipped)."""
    try:
        return shipped.resolve(name)
    except shipped.NotFound as e:
        raise click.UsageError(str(e)) from None


class Failure(click.ClickException):
    """Bad input or an unreadable file: click's own error style ("Error: ..." on stderr), code 2."""

    exit_code = 2


def fail(message: str) -> None:
    """Stop the command with ``message`` as one line, exit code 2 (:class:`Failure`)."""
    raise Failure(" ".join(str(message).split()))  # always one line


def completer(sub: str = ""):
    """Shell completion of a SCENARIO (``sub = ""``) or SWEEP (``"sweeps"``) argument: the names
    of ./scenarios and the shipped scenarios, and file names once the word looks like a path."""
    def complete(ctx, param, incomplete: str):
        items = [CompletionItem(n) for n in shipped.names(sub) if n.startswith(incomplete)]
        if not items or any(c in incomplete for c in "/.~"):
            items.append(CompletionItem(incomplete, type="file"))
        return items
    return complete


QUIET = click.option("-q", "--quiet", is_flag=True,
                      help="No progress or status lines on stderr (results and errors still).")


def converge_options(f):
    """--converge, --tolerance, --quantile-tolerance (``sim.analysis.convergence``) of sim run and report."""
    f = click.option("--quantile-tolerance", type=click.FloatRange(min=0, min_open=True),
                     default=convergence.DEFAULT_QUANTILE_TOLERANCE, show_default=True,
                     help="--converge: largest relative change of a quantile.")(f)
    f = click.option("--tolerance", type=click.FloatRange(0, 1, min_open=True),
                     default=convergence.DEFAULT_TOLERANCE, show_default=True,
                     help="--converge: largest absolute change of a probability.")(f)
    return click.option("--converge", is_flag=True,
                        help="Also compare every probability and quantile of the first n/2 "
                             "members with all n and say whether n is enough.")(f)


def output(path, suffixes: tuple[str, ...], inputs=(), what: str = "--out") -> Path:
    """``path`` if a result may be written there (``sim.core.files.check_output``), else exit 2."""
    try:
        return files.check_output(path, suffixes, inputs, what)
    except files.OutputPathError as e:
        fail(str(e))


def output_folder(path, what: str = "--out") -> Path:
    """The checked output folder ``path`` (``sim.core.files.check_output_folder``), or fail."""
    try:
        return files.check_output_folder(path, what)
    except files.OutputPathError as e:
        fail(str(e))


@contextlib.contextmanager
def writing():
    """Turn a failure to write (disk full, permissions changed during the run), or to read a file
    the run needs, into one line; the temporary file is already removed
    (``sim.core.files.atomic_path``)."""
    try:
        yield
    except FileNotFoundError as e:
        fail(str(e) if not e.filename else f"{e.filename}: not found ({e.strerror})")
    except OSError as e:
        fail(str(e) if not e.filename else f"{e.filename}: cannot write ({e.strerror})")


class OutputPath(click.ParamType):
    """An output path option as given: an empty one is refused in one line (click's Path would
    turn "" into ".", the current folder); every other check is ``sim.core.files.check_output``."""

    name = "path"

    def convert(self, value, param, ctx):
        """The option's value as a Path; an empty or blank value fails in one line."""
        if isinstance(value, Path):
            return value
        if not str(value).strip():
            fail(f'{param.opts[0] if param else "path"} = "{value}" is not a path (allowed: a '
                  "file or folder name)")
        return Path(value)


OUTPUT_PATH = OutputPath()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised as an interruption so that every cleanup runs as it does on Ctrl-C."""


def interrupt(signum, frame) -> None:
    """Signal handler of SIGINT and SIGTERM: raise an interruption (deferred while a library
    call must finish) and ignore further signals during the cleanup."""
    # a second signal while cleaning up must not cut the cleanup short: ignore further ones
    # (SIGKILL still ends the process; a rerun then removes what it left)
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    interruption = Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()
    if not files.defer(interruption):  # inside a library call that must finish first
        raise interruption


class Main(click.Group):
    """The command group: SIGINT and SIGTERM stop a command with its cleanup done and one line
    (exit code 130 or 143, 128 + the signal number) instead of a traceback or "Aborted!"."""

    def invoke(self, ctx):
        """Run the command with the signal handlers installed; an interruption exits 130 or 143
        with one line."""
        main_thread = threading.current_thread() is threading.main_thread()
        previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)
                    if main_thread and signal.getsignal(s) is not signal.SIG_IGN}  # nohup, &
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as e:
            signum = signal.SIGTERM if isinstance(e, Terminated) else signal.SIGINT
            click.echo(f"\nError: interrupted by {signum.name}: stopped; no half-written file is "
                       "left (a rerun starts again; a sweep resumes from its finished cases)",
                       err=True)
            sys.exit(128 + signum)
        except MemoryError:
            # the size checks refuse what cannot fit before any work; this is the net for an
            # estimate that was too low (the temporaries are already removed: files.atomic_path)
            raise Failure("out of memory: this run needs more memory than the process may take; "
                          "use fewer --members or a smaller --chunk-size") from None
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


def load(name: str):
    """The validated scenario ``name`` (a path or a shipped name), or fail in one line."""
    try:
        return load_scenario(resolve_scenario(name))
    except ScenarioError as e:
        fail(str(e))
    except click.UsageError as e:
        fail(e.message)


def check_size(members: int, sc, detail: str, chunk_size: int) -> None:
    """Exit 2 if ``members`` or the chunk cannot be held in memory (``sim.core.sizes``)."""
    problem = sizes.chunk_problem(chunk_size, members, len(sc.provinces))
    if problem:
        fail(f"--chunk-size = {chunk_size} {problem}")
    problem = sizes.members_problem(members, len(sc.provinces), len(sc.years), detail, chunk_size)
    if problem:
        fail(f"--members = {members} {problem}")


def with_convergence(text: str, ds, tolerance: float, quantile_tolerance: float,
                      fmt: str) -> str:
    """The report ``text`` with the convergence check of the open ensemble file ``ds``
    (``sim.analysis.convergence``): a table after it, or a ``convergence`` member of its JSON object."""
    try:
        c = convergence.compare(ds, tolerance, quantile_tolerance)
    except results.ResultsFileError as e:
        fail(str(e))
    if fmt == "table":
        return f"{text}\n\n{convergence.format_table(c)}"
    data = json.loads(text) | {"convergence": c.to_dict()}
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)

