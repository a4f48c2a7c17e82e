"""line-token: LINE Messaging API channel access tokens, solved.

Every public name is importable from here. They load on first use (PEP 562), so
``from line_token import Client`` imports the client and httpx, but not the managers,
asyncio or cryptography: a serverless function's cold start pays only for its path.

Example::

    from line_token import Client

    with Client() as client:
        token = client.issue_stateless_token(channel_id="1234567890", channel_secret="...")
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from ._assertion import AssertionSigner, sign_assertion
    from ._async_client import AsyncClient
    from ._async_manager import AsyncTokenManager
    from ._client import Client
    from ._errors import (
        InvalidAssertionError,
        InvalidCredentialsError,
        InvalidInputError,
        InvalidTokenError,
        LineApiError,
        LineTokenError,
        RateLimitError,
        ServerError,
        TokenLimitError,
        TokenUnavailableError,
        TransportError,
        UnexpectedResponseError,
        UnknownKeyError,
    )
    from ._issuers import ShortLivedIssuer, StatelessIssuer, StaticToken, V21Issuer
    from ._keys import KeyPair, generate_key_pair, jwk_thumbprint, load_private_key, public_jwk
    from ._manager import ReconcileReport, TokenManager
    from ._models import BotInfo, IssuedToken, TokenInfo, mask_token

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "AssertionSigner": "._assertion",
    "AsyncClient": "._async_client",
    "AsyncTokenManager": "._async_manager",
    "BotInfo": "._models",
    "Client": "._client",
    "InvalidAssertionError": "._errors",
    "InvalidCredentialsError": "._errors",
    "InvalidInputError": "._errors",
    "InvalidTokenError": "._errors",
    "IssuedToken": "._models",
    "KeyPair": "._keys",
    "LineApiError": "._errors",
    "LineTokenError": "._errors",
    "RateLimitError": "._errors",
    "ReconcileReport": "._manager",
    "ServerError": "._errors",
    "ShortLivedIssuer": "._issuers",
    "StatelessIssuer": "._issuers",
    "StaticToken": "._issuers",
    "TokenInfo": "._models",
    "TokenLimitError": "._errors",
    "TokenManager": "._manager",
    "TokenUnavailableError": "._errors",
    "TransportError": "._errors",
    "UnexpectedResponseError": "._errors",
    "UnknownKeyError": "._errors",
    "V21Issuer": "._issuers",
    "generate_key_pair": "._keys",
    "jwk_thumbprint": "._keys",
    "load_private_key": "._keys",
    "mask_token": "._models",
    "public_jwk": "._keys",
    "sign_assertion": "._assertion",
}


def __getattr__(name: str) -> _typing.Any:
    """Imports a public name's module on first use and caches the name here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "AssertionSigner",
    "AsyncClient",
    "AsyncTokenManager",
    "BotInfo",
    "Client",
    "InvalidAssertionError",
    "InvalidCredentialsError",
    "InvalidInputError",
    "InvalidTokenError",
    "IssuedToken",
    "KeyPair",
    "LineApiError",
    "LineTokenError",
    "RateLimitError",
    "ReconcileReport",
    "ServerError",
    "ShortLivedIssuer",
    "StatelessIssuer",
    "StaticToken",
    "TokenInfo",
    "TokenLimitError",
    "TokenManager",
    "TokenUnavailableError",
    "TransportError",
    "UnexpectedResponseError",
    "UnknownKeyError",
    "V21Issuer",
    "__version__",
    "generate_key_pair",
    "jwk_thumbprint",
    "load_private_key",
    "mask_token",
    "public_jwk",
    "sign_assertion",
]
