"""Files the project writes and reads, in one place: the atomic writer, compression by extension, and
reads with a cap.

Every file exodus writes (an export, QuickStatements, a formatted Turtle file, the passages, the docs)
goes through ``atomic_output``:

- a regular file (or a new one) is written to a hidden temporary file with a unique name in the same
  folder, flushed to disk and renamed over the target, so an interrupted run leaves the previous file
  (or none), never half of one; a replaced file keeps its permission bits (and its owner, for root);
- a symbolic link is followed: the file it points to is written that way, and the link stays a link;
- anything that is not a regular file (``/dev/null``, a terminal, a FIFO, ``/dev/stdout``: a
  descriptor the process already holds) is written through, as the shell's ``>`` would; it is never
  replaced by a regular file. A block device (a disk) is refused.

A name ending in ``.gz``, ``.bz2`` or ``.xz`` is compressed on the way (``compressed_output``), and
read back decompressed (``read_bytes``).

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_text_atomically(folder / "hello.txt", "hello\\n")
6
>>> (folder / "hello.txt").read_text()
'hello\\n'
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from exodus_kg.errors import InputError

COMPRESSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}
# Compressions a user may name that the standard library cannot write: refused, never written plain.
UNSUPPORTED_COMPRESSIONS = (".zip", ".zst", ".zstd", ".br", ".lz4", ".lz", ".7z", ".z", ".tgz", ".tar")
MAX_SYMLINK_HOPS = 40  # as the kernel's own limit
# /proc/<pid>/fd/N (and /dev/fd/N, /dev/stdout, which lead there) name a descriptor the process holds:
# its link text ("pipe:[123]", or a file's path) is not a place to rename a file into.
_DESCRIPTOR_FOLDER = re.compile(r"/proc/[^/]+(/task/[^/]+)?/fd")


def _error(path: str | os.PathLike[str], error: OSError, doing: str = "cannot write") -> InputError:
    return InputError(f"{path}: {doing} ({error.strerror or error})")


def destination(path: str | os.PathLike[str]) -> tuple[Path, bool]:
    """Where writing ``path`` lands, and whether it is written through (True: a device, a FIFO, a
    descriptor) or replaced atomically (False: a regular file or a new one). Symbolic links are
    followed; a loop of them, or a folder, is an InputError."""
    current = os.path.abspath(os.fspath(path))
    for _hop in range(MAX_SYMLINK_HOPS):
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            return Path(current), False
        except OSError as error:
            raise _error(path, error) from None
        if stat.S_ISLNK(info.st_mode):
            if _DESCRIPTOR_FOLDER.fullmatch(os.path.realpath(os.path.dirname(current))):
                return Path(current), True
            current = os.path.join(os.path.dirname(current), os.readlink(current))
            continue
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{path}: is a directory")
        if stat.S_ISBLK(info.st_mode):
            # Written through, an export would overwrite a disk or a partition: never what was meant.
            raise InputError(f"{path}: is a block device (a disk); refused")
        return Path(current), not stat.S_ISREG(info.st_mode)
    raise InputError(f"{path}: too many levels of symbolic links (a loop?)")


def _held_descriptor(target: Path) -> int | None:
    """N when ``target`` is /proc/self/fd/N (or /proc/<this pid>/fd/N), else None."""
    folder = os.path.realpath(os.path.dirname(target))
    if folder == f"/proc/{os.getpid()}/fd" and target.name.isdigit():
        return int(target.name)
    return None


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary stream that becomes ``path`` when the ``with`` block ends without an error (see the
    module doc for links, devices and FIFOs). An error or interruption (Ctrl-C included) inside the
    block leaves a regular file as it was and removes the temporary file; an OSError becomes one
    InputError line naming ``path``."""
    target, through = destination(path)
    if through:
        try:
            held = _held_descriptor(target)
            # A descriptor this process holds (/dev/stdout) is written through a copy of it: opening
            # /proc/self/fd/N anew needs rights on the pipe that its holder may not have.
            stream = os.fdopen(os.dup(held), "wb") if held is not None else open(target, "wb")  # noqa: SIM115
        except OSError as error:
            raise _error(path, error) from None
        try:
            with stream:
                yield stream
        except OSError as error:
            raise _error(path, error) from None
        return
    folder = target.parent
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise _error(path, error) from None
    if existing is None:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    else:
        mode = existing.st_mode & 0o7777
    import tempfile

    try:
        # mkstemp: a unique name, so two runs writing the same file never share a temporary file.
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as error:
        raise InputError(f"{path}: cannot write in {folder} ({error.strerror or error})") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_name, mode)
        if existing is not None and os.geteuid() == 0:
            # root replacing another user's file must not leave it owned by root.
            with contextlib.suppress(OSError):
                os.chown(temp_name, existing.st_uid, existing.st_gid)
        os.replace(temp_name, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(error, OSError):
            raise _error(path, error) from None
        raise
    _fsync_folder(folder)


def write_atomically(path: str | os.PathLike[str], chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` to ``path`` through ``atomic_output``; return the number of bytes written."""
    written = 0
    with atomic_output(path) as stream:
        for chunk in chunks:
            stream.write(chunk)
            written += len(chunk)
    return written


def write_text_atomically(path: str | os.PathLike[str], text: str) -> int:
    """Write ``text`` as UTF-8 to ``path`` through ``atomic_output``; return the bytes written."""
    return write_atomically(path, [text.encode("utf-8")])


def decode_utf8(data: bytes, name: object, advice: str) -> str:
    """``data`` as text; InputError naming the line and the first byte that is not UTF-8, then ``advice``
    (``save the file as UTF-8``)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            f"{name}:{line}: not UTF-8 (byte {data[error.start]:#04x} at offset {error.start}); {advice}"
        ) from None


def compression_of(path: str | os.PathLike[str]) -> str | None:
    """"gzip", "bzip2" or "xz" when the file name asks for it (``x.nq.gz``), else None."""
    return COMPRESSIONS.get(Path(path).suffix.lower())


def check_compression(path: str | os.PathLike[str]) -> None:
    """A UsageError for a name asking for a compression exodus cannot write (``x.nq.zst``): writing
    plain data under that name would give a file its readers reject."""
    from exodus_kg.errors import UsageError

    suffix = Path(path).suffix.lower()
    if suffix in UNSUPPORTED_COMPRESSIONS:
        raise UsageError(
            f"{path}: {suffix} compression is not supported; use .gz, .bz2 or .xz, or no compression"
        )


def _opener(kind: str | None):
    if kind == "gzip":
        import gzip

        return gzip.open
    if kind == "bzip2":
        import bz2

        return bz2.open
    if kind == "xz":
        import lzma

        return lzma.open
    return open


def without_compression(path: str | os.PathLike[str]) -> Path:
    """The name without a compression extension: ``x.nq.gz`` -> ``x.nq``."""
    path = Path(path)
    return path.with_suffix("") if compression_of(path) else path


@contextlib.contextmanager
def compressed_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """``atomic_output``, compressed with gzip or bzip2 when the name ends in ``.gz`` or ``.bz2``."""
    kind = compression_of(path)
    with atomic_output(path) as raw:
        if kind is None:
            yield raw
            return
        if kind == "gzip":
            import gzip

            # No name or time in the header: the same data gives the same file.
            packed: BinaryIO = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0)
        else:
            packed = _opener(kind)(raw, "wb")
        with packed:
            yield packed


def read_bytes(path: str | os.PathLike[str], limit: int | None = None, what: str = "cannot read") -> bytes:
    """The bytes of ``path``, decompressed when its name ends in ``.gz`` or ``.bz2``; at most
    ``limit`` bytes (more is an InputError, so ``/dev/zero`` cannot fill the memory). Any OSError,
    or a broken archive, is one InputError line naming ``path``."""
    kind = compression_of(path)
    try:
        with _opener(kind)(path, "rb") as stream:
            data = stream.read() if limit is None else stream.read(limit + 1)
    except Exception as error:  # gzip: OSError/EOFError, bz2: OSError, lzma: LZMAError
        if not isinstance(error, (OSError, EOFError)) and type(error).__name__ != "LZMAError":
            raise
        if isinstance(error, OSError) and error.errno is not None:
            raise _error(path, error, what) from None
        raise InputError(f"{path}: {what} (not a valid {kind} file: {error})") from None
    if limit is not None and len(data) > limit:
        raise InputError(f"{path}: larger than {limit:,} bytes; refused")
    return data


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform lets a folder be opened for this."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
