"""``AsyncClient``: the twin of ``Client`` over ``httpx.AsyncClient``; the same flow, awaited."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import httpx

from . import _sansio
from ._closing import AsyncClosing
from ._http import ClientConfig, from_httpx, to_httpx
from ._models import BotInfo, IssuedToken, TokenInfo
from ._retry import Send, call_flow

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient(AsyncClosing):
    """Every LINE channel-access-token endpoint, for asyncio (and trio, through anyio).

    Args:
        base_url: LINE's API root; default ``$LINE_API_BASE_URL``, else
            ``https://api.line.me``. Point it at the emulator in tests.
        timeout: seconds for each HTTP request.
        max_retries: retries on network errors, 429 and 5xx (see each method
            for what an issuing endpoint retries).
        http_client: an ``httpx.AsyncClient`` to reuse (its connection pool, proxies,
            transport). Not closed by :meth:`close` when given.
        clock: wall-clock source for :attr:`IssuedToken.issued_at`.

    Example:
        >>> async with AsyncClient() as client:  # doctest: +SKIP
        ...     token = await client.issue_stateless_token(channel_id="1234567890",
        ...                                          channel_secret="...")
        ...     (await client.get_bot_info(token.access_token)).display_name
    """

    def __init__(
        self,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        max_retries: int = 2,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = ClientConfig.make(base_url, timeout, max_retries)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self._config.timeout)
        self._clock = clock

    @property
    def base_url(self) -> str:
        """The API root requests go to."""
        return self._config.base_url

    async def _run(self, call: _sansio.Call[T]) -> T:
        flow = call_flow(call, self._config.policy, wall_clock=self._clock)
        step = next(flow)
        while True:
            outcome: _sansio.Response | BaseException | None = None
            if isinstance(step, Send):
                try:
                    request = to_httpx(self._http, self._config.base_url, step.request)
                    response = await self._http.send(request)
                    outcome = from_httpx(response, step.request)
                except httpx.TransportError as exc:
                    outcome = exc
            else:
                await anyio.sleep(step.seconds)
            try:
                step = flow.send(outcome)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]

    async def issue_short_lived_token(
        self, channel_id: str | int, channel_secret: str
    ) -> IssuedToken:
        """Issue a short-lived (30-day) token with the channel id and secret.

        A channel holds up to 30; the 31st revokes the oldest. Retried only
        where LINE cannot have issued (connection not made, 429), because a
        retry after LINE acted would mint a second token and revoke the oldest.

        Example:
            >>> await client.issue_short_lived_token("1234567890", secret)  # doctest: +SKIP
            IssuedToken(access_token='sha256:…', token_type='Bearer', expires_in=2592000, …)
        """
        return await self._run(_sansio.issue_short_lived_token(channel_id, channel_secret))

    async def verify_token(self, access_token: str) -> TokenInfo:
        """Verify a short-lived or long-lived token; ``InvalidTokenError`` if it is not valid.

        Example:
            >>> (await client.verify_token(token)).expires_in  # doctest: +SKIP
            2591990
        """
        return await self._run(_sansio.verify_token(access_token))

    async def revoke_token(self, access_token: str) -> None:
        """Revoke a short-lived or long-lived token (an unknown token is not an error)."""
        return await self._run(_sansio.revoke_token(access_token))

    async def issue_v21_token(self, assertion: str) -> IssuedToken:
        """Issue a v2.1 token from a signed assertion (lifetime = its ``token_exp``).

        The result carries ``key_id``. A channel holds at most 30 valid v2.1
        tokens; the 31st request fails with ``TokenLimitError``. Retried only
        where LINE cannot have issued (connection not made, 429): a token minted
        by a lost response would hold one of the 30 slots unseen.

        Example:
            >>> token = await client.issue_v21_token(signer.sign(token_exp=86400))  # doctest: +SKIP
        """
        return await self._run(_sansio.issue_v21_token(assertion))

    async def verify_v21_token(self, access_token: str) -> TokenInfo:
        """Verify a v2.1 token; raises ``InvalidTokenError`` if expired, revoked or unknown."""
        return await self._run(_sansio.verify_v21_token(access_token))

    async def revoke_v21_token(
        self, channel_id: str | int, channel_secret: str, access_token: str
    ) -> None:
        """Revoke a v2.1 token; LINE needs the channel id and secret for this."""
        return await self._run(_sansio.revoke_v21_token(channel_id, channel_secret, access_token))

    async def get_v21_key_ids(self, assertion: str) -> list[str]:
        """The key ids of the channel's valid v2.1 tokens (the channel is the assertion's)."""
        return await self._run(_sansio.get_v21_key_ids(assertion))

    async def issue_stateless_token(
        self,
        *,
        channel_id: str | int | None = None,
        channel_secret: str | None = None,
        assertion: str | None = None,
    ) -> IssuedToken:
        """Issue a stateless (15-minute) token by channel id + secret, or by assertion.

        Stateless tokens are not counted and cannot be revoked. Retried only
        where LINE cannot have issued (connection not made, 429).

        Example:
            >>> await client.issue_stateless_token(channel_id="1234567890",
            ...                              channel_secret=secret)  # doctest: +SKIP
        """
        return await self._run(
            _sansio.issue_stateless_token(
                channel_id=channel_id, channel_secret=channel_secret, assertion=assertion
            )
        )

    async def get_bot_info(self, access_token: str) -> BotInfo:
        """The bot's profile: the cheapest proof that a token works."""
        return await self._run(_sansio.get_bot_info(access_token))

    async def aclose(self) -> None:
        """Close the HTTP connection pool (unless it was passed in)."""
        if self._owns_http:
            await self._http.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self._config.base_url!r})"
