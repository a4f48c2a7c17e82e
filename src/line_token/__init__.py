"""line-token: LINE Messaging API channel access tokens, solved."""

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
