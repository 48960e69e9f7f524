"""The one atomic writer (rdf/files.py): regular files replaced in one step, links followed, devices and
FIFOs written through, compression by extension, reads with a cap."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import stat
import threading
from pathlib import Path

import pytest

from exodus_kg.errors import InputError, UsageError
from exodus_kg.rdf import files


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "kg.nt"
    target.write_bytes(b"old content\n")
    target.chmod(0o640)

    def chunks():
        yield b"<a> <b> <c> .\n" * 1000
        raise KeyboardInterrupt  # Ctrl-C halfway through

    with pytest.raises(KeyboardInterrupt):
        files.write_atomically(target, chunks())
    assert target.read_bytes() == b"old content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg.nt"]

    assert files.write_atomically(target, [b"new\n"]) == 4
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # a replaced file keeps its permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kg.nt"]


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        files.write_atomically(tmp_path / "kg.ttl", [b""])
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "kg.ttl").stat().st_mode) == 0o644


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another user")
def test_root_replacing_another_users_file_keeps_its_owner(tmp_path):
    target = tmp_path / "kg.nt"
    target.write_bytes(b"old\n")
    os.chown(target, 65534, 65534)
    files.write_atomically(target, [b"new\n"])
    assert (target.stat().st_uid, target.stat().st_gid) == (65534, 65534)


def test_two_writers_of_one_file_never_share_a_temporary_file(tmp_path):
    """Regression: `exodus fmt` wrote NAME.tmp, so two runs at once wrote into one temporary file."""
    target = tmp_path / "people.ttl"
    seen: list[set[str]] = []
    with files.atomic_output(target) as first, files.atomic_output(target) as second:
        seen.append({p.name for p in tmp_path.iterdir()})
        first.write(b"first\n")
        second.write(b"second\n")
    temporaries = seen[0]
    assert len(temporaries) == 2 and all(name.startswith(".people.ttl.") for name in temporaries)
    assert target.read_bytes() in (b"first\n", b"second\n")
    assert [p.name for p in tmp_path.iterdir()] == ["people.ttl"]


def test_a_symlink_is_followed_and_stays_a_link(tmp_path):
    real = tmp_path / "data" / "kg.nt"
    real.parent.mkdir()
    real.write_bytes(b"old\n")
    link = tmp_path / "latest.nt"
    link.symlink_to(Path("data") / "kg.nt")  # relative, as people make them
    files.write_atomically(link, [b"new\n"])
    assert link.is_symlink() and os.readlink(link) == str(Path("data") / "kg.nt")
    assert real.read_bytes() == b"new\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["kg.nt"]


def test_a_chain_of_links_and_a_dangling_link(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("c")  # c does not exist yet: the file the chain names is created
    files.write_atomically(tmp_path / "a", [b"x\n"])
    assert (tmp_path / "c").read_bytes() == b"x\n"
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


def test_a_loop_of_links_is_an_input_error(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(InputError, match="too many levels of symbolic links"):
        files.write_atomically(tmp_path / "a", [b"x\n"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_a_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        files.write_atomically(tmp_path, [b"x\n"])


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root (CAP_MKNOD)")
def test_a_device_node_is_written_through_never_replaced(tmp_path):
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # the same device as /dev/null
    files.write_atomically(null, [b"gone\n"])
    assert stat.S_ISCHR(null.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]


def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        files.write_atomically(fifo, [b"through the pipe\n"])
        reader.join(10)
    finally:
        if reader.is_alive():  # never opened for writing: release the reader so pytest can exit
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_full_device_is_one_input_error():
    with pytest.raises(InputError, match=r"/dev/full: cannot write \(No space left on device"):
        files.write_atomically("/dev/full", [b"x" * 100_000])


@pytest.mark.parametrize(("suffix", "opener"), [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_compressed_output_and_read_back(tmp_path, suffix, opener):
    target = tmp_path / f"kg.nq{suffix}"
    with files.compressed_output(target) as stream:
        stream.write(b"<a> <b> <c> <g> .\n")
    with opener(target, "rb") as packed:
        assert packed.read() == b"<a> <b> <c> <g> .\n"
    assert files.read_bytes(target) == b"<a> <b> <c> <g> .\n"
    assert files.without_compression(target).name == "kg.nq"


def test_gzip_output_is_the_same_bytes_for_the_same_data(tmp_path):
    for name in ("a.nt.gz", "b.nt.gz"):
        with files.compressed_output(tmp_path / name) as stream:
            stream.write(b"<a> <b> <c> .\n")
    assert (tmp_path / "a.nt.gz").read_bytes() == (tmp_path / "b.nt.gz").read_bytes()


def test_an_unsupported_compression_is_refused():
    with pytest.raises(UsageError, match=r"\.zst compression is not supported"):
        files.check_compression("kg.nq.zst")


def test_a_broken_archive_is_one_input_error(tmp_path):
    broken = tmp_path / "kg.ttl.gz"
    broken.write_bytes(b"this is not gzip")
    with pytest.raises(InputError, match=r"kg\.ttl\.gz: cannot read"):
        files.read_bytes(broken)


def test_a_read_is_capped(tmp_path):
    with pytest.raises(InputError, match="larger than 1,000 bytes"):
        files.read_bytes("/dev/zero", limit=1000)
