"""check.isolation: the one runner for work in a forked child (deadline, memory cap, streamed
items), and the cached LALR tables of derive.lalr_cache (written whole, ignored when damaged)."""
import os
import time

import pytest
import sympy

from check import isolation
from derive import lalr_cache
from derive.parse import GRAMMAR, Build, _state

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def _count(emit, n):
    for i in range(n):
        emit(i)


def _forever(emit):
    emit("started")
    while True:
        time.sleep(1)


def _raises(emit):
    raise ValueError("bad input")


def _hog(emit):
    emit(len(bytearray(3 << 30)))


def test_a_child_streams_its_items_in_order():
    out = isolation.run(_count, 5, deadline=60)
    assert out.ok and out.items == (0, 1, 2, 3, 4)


def test_a_child_past_its_deadline_is_killed_and_keeps_what_it_sent():
    out = isolation.run(_forever, deadline=0.2)
    assert out.status == "timeout" and out.items == ("started",)


def test_an_exception_in_the_child_is_reported_not_raised():
    out = isolation.run(_raises, deadline=60)
    assert out.status == "error" and "ValueError: bad input" in out.error


def test_the_memory_cap_stops_a_child_that_asks_for_too_much():
    out = isolation.run(_hog, deadline=60, memory=1 << 30)
    assert out.status == "error" and "out of memory" in out.error and out.items == ()


def _reads(parser):
    """What a parser makes of a few expressions (state numbers differ from build to build)."""
    from derive.spec import ConstScope
    _state.scope, _state.operands = ConstScope(), 0
    return [parser.parse(t) for t in ("1/2*3^2 - 4", "(2 + 3)*5^(-1)", "-7/3 + 2^3^2")]


def _parser(tmp_path, monkeypatch):
    monkeypatch.setenv("BARPROP_CACHE_DIR", str(tmp_path))
    return lalr_cache.lalr(GRAMMAR, "plain", transformer=Build(_state), maybe_placeholders=False)


def test_tables_are_written_once_and_read_back_to_the_same_parser(tmp_path, monkeypatch):
    built = _parser(tmp_path, monkeypatch)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert len(files) == 1 and files[0].startswith("plain-") and files[0].endswith(".tables")
    loaded = _parser(tmp_path, monkeypatch)
    assert sorted(p.name for p in tmp_path.iterdir()) == files      # no temporary file left over
    assert _reads(loaded) == _reads(built) == [sympy.Rational(1, 2), 1, sympy.Rational(1529, 3)]


@pytest.mark.parametrize("damage", [b"", b"not marshal at all", None])
def test_a_damaged_table_file_is_ignored_and_rewritten(tmp_path, monkeypatch, damage):
    good = _parser(tmp_path, monkeypatch)
    (path,) = tmp_path.iterdir()
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2] if damage is None else damage)
    again = _parser(tmp_path, monkeypatch)
    assert _reads(again) == _reads(good)
    assert path.read_bytes() != (whole[: len(whole) // 2] if damage is None else damage)
    assert _reads(_parser(tmp_path, monkeypatch)) == _reads(good)


def test_an_empty_cache_setting_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("BARPROP_CACHE_DIR", "")
    assert lalr_cache.cache_dir() is None
    lalr_cache.lalr(GRAMMAR, "plain", transformer=Build(_state), maybe_placeholders=False)
    assert list(tmp_path.iterdir()) == []
