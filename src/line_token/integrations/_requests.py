"""``RequestsBearerAuth``: the requests twin of :class:`~line_token.integrations.BearerAuth`."""

from __future__ import annotations

from typing import Any

try:
    import requests
    from requests.auth import AuthBase
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "RequestsBearerAuth needs the requests package: pip install requests"
    ) from exc

from ._flow import Invalidate, NeedToken, SendWith, SyncManager, bearer_flow

__all__ = ["RequestsBearerAuth"]


class RequestsBearerAuth(AuthBase):
    """Authorize ``requests`` calls with a managed token; on 401 replace it and re-send once.

    Example:
        >>> tokens = TokenManager(StatelessIssuer(cid, channel_secret=secret))  # doctest: +SKIP
        >>> session = requests.Session()
        >>> session.auth = RequestsBearerAuth(tokens)
        >>> session.post(f"{base}/v2/bot/message/push", json=message)  # doctest: +SKIP
    """

    def __init__(self, manager: SyncManager) -> None:
        self._manager = manager

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        flow = bearer_flow()
        step = next(flow)
        assert isinstance(step, NeedToken)
        step = flow.send(self._manager.token())
        assert isinstance(step, SendWith)
        request.headers["Authorization"] = f"Bearer {step.token}"

        def on_response(response: requests.Response, **kwargs: Any) -> requests.Response:
            try:
                next_step = flow.send(response.status_code)
                while not isinstance(next_step, SendWith):
                    if isinstance(next_step, Invalidate):
                        next_step = flow.send(self._manager.invalidate(next_step.token))
                    else:
                        next_step = flow.send(self._manager.token())
            except StopIteration:
                return response
            retry = response.request.copy()
            retry.headers["Authorization"] = f"Bearer {next_step.token}"
            response.content  # noqa: B018 - read the body so the connection can be reused
            response.close()
            connection = response.connection
            second: requests.Response = connection.send(retry, **kwargs)
            second.history.append(response)
            second.request = retry
            return second

        request.register_hook("response", on_response)  # type: ignore[no-untyped-call]
        return request

    def __repr__(self) -> str:
        return f"RequestsBearerAuth({self._manager!r})"
