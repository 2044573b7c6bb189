"""io.atomic: several files appear together or not at all; in-memory sinks survive close()."""

from __future__ import annotations

import pytest

from kinmix_stats.io.atomic import MemoryFile, atomic_group


def test_group_writes_every_file_on_success_and_nothing_on_failure(tmp_path):
    out = tmp_path / "new" / "dir"  # created with its parents
    with atomic_group(out) as g:
        g.write_text("a.json", "{}\n")
        fh = g.open("b.bin", "wb")
        fh.write(b"\x00\x01")
        assert not (out / "a.json").exists()  # nothing visible before the commit
    assert (out / "a.json").read_text() == "{}\n" and (out / "b.bin").read_bytes() == b"\x00\x01"

    with pytest.raises(RuntimeError, match="boom"), atomic_group(out) as g:
        g.write_text("a.json", "new\n")
        g.write_text("c.json", "never\n")
        raise RuntimeError("boom")
    assert (out / "a.json").read_text() == "{}\n"  # old content untouched
    assert not (out / "c.json").exists()
    assert sorted(p.name for p in out.iterdir()) == ["a.json", "b.bin"]  # no temporary file left


def test_group_refuses_a_name_twice_and_a_file_as_directory(tmp_path):
    with pytest.raises(ValueError, match="already part of this atomic group"), atomic_group(tmp_path) as g:
        g.write_text("x.json", "1")
        g.write_text("x.json", "2")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "f").write_text("")
    with pytest.raises(NotADirectoryError, match="a file of that name exists"), atomic_group(tmp_path / "f"):
        pass


def test_memory_file_stays_readable_after_close():
    buf = MemoryFile("limits.root")
    buf.write(b"abc")
    buf.close()
    assert buf.getvalue() == b"abc" and buf.name == "limits.root"
