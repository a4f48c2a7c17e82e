"""Make the official line-bot-sdk v3 use a managed token on every request.

The SDK reads ``Configuration.access_token`` at construction and twice per call,
through a synchronous getter even in ``AsyncMessagingApi``. So the token is
fetched (and refreshed, if due) by the API client *before* each call — with
``await`` in async code — and the getter only reads it back from a context
variable or the manager's memory: it never does I/O. On a 401 from LINE the
token is invalidated (a no-op if it was already replaced) and the call is sent
once more; a second 401 reaches the caller as the SDK's ``ApiException``.

Example:
    >>> from line_token.integrations.linebot import messaging_api  # doctest: +SKIP
    >>> api = messaging_api(TokenManager(V21Issuer(signer, secret)))
    >>> api.push_message(PushMessageRequest(to=user_id, messages=[TextMessage(text="hi")]))
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

try:
    from linebot.v3.messaging import (
        ApiClient,
        AsyncApiClient,
        AsyncMessagingApi,
        Configuration,
        MessagingApi,
    )
    from linebot.v3.messaging.exceptions import ApiException
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError(
        "line_token.integrations.linebot needs the official SDK: pip install 'line-bot-sdk>=3'"
    ) from exc

from ._flow import Invalidate, NeedToken, SendWith, bearer_flow

if TYPE_CHECKING:
    from .._async_manager import AsyncTokenManager
    from .._manager import TokenManager

__all__ = [
    "ManagedApiClient",
    "ManagedAsyncApiClient",
    "ManagedConfiguration",
    "async_messaging_api",
    "messaging_api",
]

_in_call: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "line_token_sdk_token", default=None
)


class ManagedConfiguration(Configuration):  # type: ignore[misc]
    """A line-bot-sdk ``Configuration`` whose ``access_token`` comes from a manager.

    Setting ``access_token`` is ignored: the manager owns the token.
    """

    def __init__(self, manager: TokenManager | AsyncTokenManager, **kwargs: Any) -> None:
        object.__setattr__(self, "_manager", manager)
        super().__init__(**kwargs)

    @property
    def access_token(self) -> str:
        """The token of the call in progress, else the manager's in-memory token (no I/O)."""
        token = _in_call.get()
        if token is not None:
            return token
        current: str | None = self._manager.current()
        return current if current is not None else ""

    @access_token.setter
    def access_token(self, value: object) -> None:
        """Ignored: the token comes from the manager."""


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status", None) if isinstance(exc, ApiException) else None


class ManagedApiClient(ApiClient):  # type: ignore[misc]
    """``ApiClient`` that fetches the token before each call and recovers once from 401."""

    def __init__(self, manager: TokenManager, configuration: ManagedConfiguration) -> None:
        self._manager = manager
        super().__init__(configuration)

    def call_api(self, *args: Any, **kwargs: Any) -> Any:
        """The SDK's ``call_api``, wrapped in the bearer flow."""
        flow = bearer_flow()
        step = next(flow)
        result: Any = None
        while True:
            if isinstance(step, NeedToken):
                value: object = self._manager.token()
            elif isinstance(step, Invalidate):
                value = self._manager.invalidate(step.token)
            else:
                assert isinstance(step, SendWith)
                reset = _in_call.set(step.token)
                try:
                    result = super().call_api(*args, **kwargs)
                    value = 200
                except ApiException as exc:
                    if step.retry or _status(exc) != 401:
                        raise
                    value = 401
                finally:
                    _in_call.reset(reset)
            try:
                step = flow.send(value)
            except StopIteration:
                return result


class ManagedAsyncApiClient(AsyncApiClient):  # type: ignore[misc]
    """``AsyncApiClient`` that awaits the token before each call and recovers once from 401."""

    def __init__(self, manager: AsyncTokenManager, configuration: ManagedConfiguration) -> None:
        self._manager = manager
        super().__init__(configuration)

    async def call_api(self, *args: Any, **kwargs: Any) -> Any:
        """The SDK's ``call_api``, wrapped in the bearer flow."""
        flow = bearer_flow()
        step = next(flow)
        result: Any = None
        while True:
            if isinstance(step, NeedToken):
                value: object = await self._manager.token()
            elif isinstance(step, Invalidate):
                value = await self._manager.invalidate(step.token)
            else:
                assert isinstance(step, SendWith)
                reset = _in_call.set(step.token)
                try:
                    result = await super().call_api(*args, **kwargs)
                    value = 200
                except ApiException as exc:
                    if step.retry or _status(exc) != 401:
                        raise
                    value = 401
                finally:
                    _in_call.reset(reset)
            try:
                step = flow.send(value)
            except StopIteration:
                return result


def messaging_api(manager: TokenManager, *, host: str | None = None, **config: Any) -> Any:
    """A line-bot-sdk ``MessagingApi`` that uses ``manager``'s token on every request.

    Args:
        manager: a :class:`~line_token.TokenManager`.
        host: the API root (default LINE's; pass the emulator's ``base_url`` in tests).
        config: further ``Configuration`` keyword arguments.
    """
    configuration = ManagedConfiguration(manager, host=host, **config)
    return MessagingApi(ManagedApiClient(manager, configuration))


def async_messaging_api(
    manager: AsyncTokenManager, *, host: str | None = None, **config: Any
) -> Any:
    """A line-bot-sdk ``AsyncMessagingApi`` that uses ``manager``'s token on every request.

    Close it with ``await api.api_client.close()``.
    """
    configuration = ManagedConfiguration(manager, host=host, **config)
    return AsyncMessagingApi(ManagedAsyncApiClient(manager, configuration))
