"""`then`: the answer a caller wants, failing in the caller's words."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from controlroom.service.client import CommandFailed, refused_as
from controlroom.service.futures import then


class Refusal(Exception):
    pass


def test_a_result_is_converted_when_it_comes():
    source: Future = Future()
    answer = then(source, lambda r: r["token"])
    assert not answer.done()
    source.set_result({"token": "p1"})
    assert answer.result(timeout=0) == "p1"


def test_a_refusal_arrives_in_the_callers_words_and_other_failures_as_they_are():
    refused, broken = Future(), Future()
    a, b = then(refused, failure=refused_as(Refusal)), then(broken, failure=refused_as(Refusal))
    refused.set_exception(CommandFailed("denied", "Vai trò Người xem không được phép"))
    broken.set_exception(TimeoutError("camera"))
    with pytest.raises(Refusal, match="Người xem"):
        a.result(timeout=0)
    with pytest.raises(TimeoutError):
        b.result(timeout=0)


def test_a_conversion_that_fails_fails_the_answer():
    source: Future = Future()
    answer = then(source, lambda r: r["missing"])
    source.set_result({})
    with pytest.raises(KeyError):
        answer.result(timeout=0)
