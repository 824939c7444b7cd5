"""Chaining a Future: the answer a caller wants from the one a command or a camera gives.

The command channel, the PTZ and the duty-log clients all turn "a Future of X" into "a Future
of Y, failing in the caller's words"; one helper does it so no copy forgets a case.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Callable


def _same(value: Any) -> Any:
    return value


def then(source: Future, convert: Callable[[Any], Any] = _same,
         failure: Callable[[BaseException], BaseException] = _same) -> Future:
    """A Future of `convert(result)`; a failure (of `source` or of `convert`) set as `failure(exc)`."""
    answer: Future = Future()

    def done(finished: Future) -> None:
        try:
            answer.set_result(convert(finished.result()))
        except Exception as exc:  # noqa: BLE001 (handed to the caller, who says it)
            answer.set_exception(failure(exc))

    source.add_done_callback(done)
    return answer
