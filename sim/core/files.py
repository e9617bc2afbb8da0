"""Files: atomic writes, temporaries, output-path checks, input checks, JSON-ready values.

A file is complete or absent: it is written under a temporary name in the destination folder and
renamed at the end, so an interrupted run never leaves a file that looks finished.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import shutil
import socket
import stat
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np


class OutputPathError(ValueError):
    """An output path that cannot or must not be written; ``str(e)`` is the one-line message
    (``<path>: <what is wrong> (<what is allowed>)``)."""


class DiskFullError(OSError):
    """Writing ``path`` ran out of space; the temporary file has been removed."""

    def __init__(self, path: Path, free: int):
        super().__init__(errno.ENOSPC, f"{path}: no space left on device ({free:,} bytes free in "
                         f"{path.parent}); nothing was written")
        self.path, self.free = path, free

    def __str__(self) -> str:
        return self.strerror


DISK_FULL_MARGIN = 1 << 20
"""[bytes] A write that fails (HDF5 reports only "HDF error") while the folder has less than this
free is reported as a full disk."""


_HOST = re.sub(r"[^A-Za-z0-9_]", "_", socket.gethostname())[:32] or "host"
"""This host in temporary names: a process id is only meaningful on the host that made it (a
sweep's parts may be written by workers on other nodes of a shared file system)."""


_OWNER = re.compile(r"(?P<host>[A-Za-z0-9_]+)-(?P<pid>[0-9]+)")


TEMPORARY_KINDS = ("tmp", "scratch")


def _temporary_name(path: Path, kind: str = "tmp") -> Path:
    """A hidden name beside ``path`` (same folder, same suffix) owned by this process:
    ``.<stem>.<host>-<pid>.<kind><suffix>``, so a later run can tell a dead owner's leftover from
    a live run's file (:func:`stale_temporaries`)."""
    return path.with_name(f".{path.stem}.{_HOST}-{os.getpid()}.{kind}{path.suffix}")


def _alive(pid: int) -> bool:
    """Whether process ``pid`` of this host exists and is not a zombie."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def stale_temporaries(path: Path | str) -> list[Path]:
    """Temporary and scratch files of ``path`` (named by :func:`_temporary_name`) whose owner, a
    process of this host, is no longer running: what a killed run of the same output left. Files
    of live processes and of other hosts are never listed."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    found = []
    for kind in TEMPORARY_KINDS:
        head, tail = f".{path.stem}.", f".{kind}{path.suffix}"
        for candidate in path.parent.glob(glob.escape(head) + "*" + glob.escape(tail)):
            owner = _OWNER.fullmatch(candidate.name[len(head):len(candidate.name) - len(tail)])
            if owner and owner["host"] == _HOST and not _alive(int(owner["pid"])):
                found.append(candidate)
    return sorted(found)


def remove_stale(path: Path | str) -> list[Path]:
    """Remove :func:`stale_temporaries` of ``path``; returns what was removed."""
    removed = []
    for stale in stale_temporaries(path):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed.append(stale)
    return removed


def _unlink_quietly(path: Path) -> None:
    """Remove ``path`` if it is there; never raises (cleanup must not hide the real error)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _as_disk_full(error: BaseException, path: Path) -> DiskFullError | None:
    """A :class:`DiskFullError` for ``error`` if it means the disk is full: ENOSPC/EDQUOT, or any
    error of a write (HDF5 says only "HDF error") while the folder has almost no space left."""
    if not isinstance(error, Exception):
        return None  # KeyboardInterrupt, SystemExit
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return None
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(path, free)
    return DiskFullError(path, free) if free < DISK_FULL_MARGIN else None


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary name in ``path``'s folder (same suffix) to write to; renamed to ``path`` when
    the block completes, removed if it raises, so no half-written file ever carries the name.

    The name lives for the whole block, so a file may be opened, appended to chunk by chunk and
    closed inside it (``sim.results.ensemble``); it must be closed before the block ends. Temporaries of
    the same ``path`` left by dead processes (a killed run) are removed first. A failure for lack
    of space is raised as :class:`DiskFullError`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    tmp = _temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException as e:
        full = _as_disk_full(e, path)  # before the temporary is removed (it holds the space)
        _unlink_quietly(tmp)
        if full is not None:
            raise full from None
        raise
    finally:
        _unlink_quietly(tmp)


@contextlib.contextmanager
def scratch_path(path: Path | str) -> Iterator[Path]:
    """A hidden temporary name beside ``path`` for a working file that is removed when the block
    ends, however it ends (e.g. the per-member scratch the ensemble quantiles are read from)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = _temporary_name(path, "scratch")
    try:
        yield scratch
    finally:
        _unlink_quietly(scratch)


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISLNK, "a symbolic link"), (stat.S_ISREG, "a file"))


_MAX_NAME = 255 - 60
"""[characters] Longest output file name: the temporary name adds host, pid and kind."""


def _file_kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file or folder")


def _writable_folder(path: Path, what: str, shown: Path | None = None) -> None:
    """The nearest existing ancestor of ``path`` (``path`` itself included) must be a folder this
    process may create files in (missing folders below it are created when writing)."""
    absolute = Path(os.path.abspath(path))
    path = shown or path
    for ancestor in (absolute, *absolute.parents):
        if os.path.lexists(ancestor):
            break
    if not ancestor.is_dir():
        raise OutputPathError(f"{path}: {what} is under {ancestor}, which is "
                              f"{_file_kind(os.stat(ancestor).st_mode) if ancestor.exists() else 'a broken link'}"
                              f", not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputPathError(f"{path}: {what}: folder {ancestor} is not writable")
    try:  # permissions do not tell everything (root, read-only mounts, /proc): try it
        fd, probe = tempfile.mkstemp(prefix=f".probe.{_HOST}-{os.getpid()}.", dir=ancestor)
    except OSError as e:
        raise OutputPathError(f"{path}: {what}: cannot create files in folder {ancestor} "
                              f"({e.strerror})") from None
    os.close(fd)
    _unlink_quietly(Path(probe))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(os.path.abspath(a)) == Path(os.path.abspath(b))


def check_output(path: Path | str | None, suffixes: Sequence[str], inputs: Iterable = (),
                 what: str = "--out") -> Path:
    """``path`` as a Path if a result may be written there, else :class:`OutputPathError`.

    Allowed: a name ending in one of ``suffixes`` (case-insensitive) that is new or an existing
    regular file, not one of ``inputs``, in a folder that exists and is writable or can be created
    under one. Refused: an empty path or ``-``, a folder, a device, FIFO, socket or symbolic link,
    a path under a file, an input of the command, a name too long for its temporary."""
    allowed = " or ".join(suffixes)
    text = "" if path is None else str(path)
    if text.strip() in ("", "-"):
        raise OutputPathError(f'{what} = "{text}" is not a file name (allowed: a file name '
                              f"ending in {allowed})")
    if text.endswith(("/", os.sep)):
        raise OutputPathError(f"{text}: {what} names a folder (allowed: a file name ending in {allowed})")
    path = Path(text)
    if os.path.lexists(path):
        mode = os.lstat(path).st_mode
        if not stat.S_ISREG(mode):
            raise OutputPathError(f"{path}: {what} is {_file_kind(mode)}; refusing to replace it "
                                  f"(allowed: a new name or a regular file ending in {allowed})")
    if path.suffix.lower() not in [s.lower() for s in suffixes]:
        raise OutputPathError(f"{path}: {what} needs the suffix {allowed}, not "
                              f"{path.suffix or 'none'}")
    if len(path.name) > _MAX_NAME:
        raise OutputPathError(f"{path.name[:40]}...: {what} file name is {len(path.name)} "
                              f"characters (allowed: at most {_MAX_NAME})")
    for source in inputs:
        if source is not None and _same_file(path, Path(source)):
            raise OutputPathError(f"{path}: {what} is an input of this command; refusing to "
                                  f"replace it (allowed: another file name)")
    _writable_folder(path.parent, what, path)
    return path


def check_output_folder(path: Path | str | None, what: str = "--out") -> Path:
    """``path`` as a Path if it is an existing writable folder or can be created, else
    :class:`OutputPathError` (an empty path, a file, a device, a path under a file)."""
    text = "" if path is None else str(path)
    if text.strip() in ("", "-"):
        raise OutputPathError(f'{what} = "{text}" is not a folder name (allowed: a folder)')
    path = Path(text)
    if os.path.lexists(path) and not path.is_dir():
        raise OutputPathError(f"{path}: {what} is {_file_kind(os.stat(path).st_mode) if path.exists() else 'a broken link'}"
                              f", not a folder")
    _writable_folder(path, what)
    return path


OUTPUTS = Path("outputs")
"""Where results go unless an --out is given."""
_UNSAFE = re.compile(r"[^\w.-]+")


def output_stem(path: Path | str) -> str:
    """A folder and file name made from the name of ``path`` for a default output below
    :data:`OUTPUTS`: never empty, never ``.`` or ``..`` nor hidden (an input named ``...nc`` has the
    stem ``..``, which would leave ``outputs/``), nothing but letters, digits, ``_``, ``-`` and
    ``.`` (other characters become ``_``)."""
    stem = _UNSAFE.sub("_", Path(path).stem).lstrip(".")
    return stem or "result"


def default_output(path: Path | str, *parts: str) -> Path:
    """``outputs/<stem>/<parts...>`` for the input ``path`` (:func:`output_stem`); ``{stem}`` in a
    part is replaced by the stem."""
    stem = output_stem(path)
    return OUTPUTS.joinpath(stem, *(p.format(stem=stem) for p in parts))


def json_ready(x):
    """``x`` with every value JSON can hold (for ``json.dumps(..., allow_nan=False)``): NaN and
    ±inf -> None, NumPy scalars -> Python bool, int and float, tuples -> lists, dict keys ->
    str; containers are walked, anything else is returned as it is."""
    if isinstance(x, dict):
        return {str(k): json_ready(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_ready(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if np.isfinite(x) else None
    return x


MAX_FILE_BYTES = 10 << 20
"""[bytes] Largest scenario, sweep or catalogue file read (the shipped ones are < 20 KB)."""


def input_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as an input file, or None if it can: missing, a folder, a FIFO,
    device or socket (reading would block or never end), no read permission. Checked before
    opening, so nothing ever blocks on an input."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a FIFO, device or socket)"
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    return None


# --- interruptions inside library calls ------------------------------------------------------------
_deferring = 0
_deferred: list[BaseException] = []


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Postpone an interruption (``sim.interfaces.cli``'s SIGINT/SIGTERM handler, via :func:`defer`) to the
    end of the block. For library calls that hold a lock while they work, e.g. xarray's
    ``to_netcdf`` and ``open_dataset``: interrupted inside, their own cleanup waits for the lock
    for ever. Main thread only (signal handlers run there)."""
    global _deferring
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _deferred:
            raise _deferred.pop()


def defer(interruption: BaseException) -> bool:
    """Keep ``interruption`` for the end of the current :func:`uninterrupted` block; False (raise
    it now) when there is none."""
    if not _deferring:
        return False
    _deferred[:] = [interruption]
    return True
