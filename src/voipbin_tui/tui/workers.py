"""Background work in the TUI, started one way so that no failure in it goes unseen.

``@background(failure, group=...)`` is Textual's ``@work`` with two guarantees: an API error
the worker did not handle itself is shown as a toast titled ``failure`` (the error-to-message
helper, ``VoipbinApp.show_error``), and any other exception goes to the app's one handler for
the unexpected (``VoipbinApp.worker_failed``: shown and logged; the app keeps running). The
worker's description is ``failure``, never its arguments, which can be secrets (a verify token).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from textual import work
from textual.dom import DOMNode
from textual.worker import Worker

from voipbin_tui.api.errors import VoipbinError
from voipbin_tui.tui.shell import voipbin_app_of

P = ParamSpec("P")
Node = TypeVar("Node", bound=DOMNode)
WorkerMethod = Callable[Concatenate[Node, P], Coroutine[Any, Any, None]]


def background(
    failure: str, *, group: str, exclusive: bool = False
) -> Callable[[WorkerMethod[Node, P]], Callable[Concatenate[Node, P], Worker[None]]]:
    """Run the decorated coroutine method as a worker in ``group`` (``exclusive``: a new one
    cancels the running one). ``failure`` is what the user reads if it fails ("Delete failed")."""

    def decorate(method: WorkerMethod[Node, P]) -> Callable[Concatenate[Node, P], Worker[None]]:
        @wraps(method)
        async def guarded(node: Node, /, *args: P.args, **kwargs: P.kwargs) -> None:
            try:
                await method(node, *args, **kwargs)
            except VoipbinError as exc:
                voipbin_app_of(node).show_error(failure, exc)
            except Exception as exc:
                voipbin_app_of(node).worker_failed(failure, exc)
                raise  # the worker ends in ERROR, which its node can watch (Worker.StateChanged)

        return work(guarded, group=group, exclusive=exclusive, exit_on_error=False, description=failure)

    return decorate
