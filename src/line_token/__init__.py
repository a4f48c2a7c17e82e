"""line-token: LINE Messaging API channel access tokens, solved."""

from ._assertion import AssertionSigner, sign_assertion
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
    UnknownKeyError,
)
from ._keys import KeyPair, generate_key_pair, jwk_thumbprint, load_private_key, public_jwk
from ._models import BotInfo, IssuedToken, TokenInfo

__version__ = "0.1.0"

__all__ = [
    "AssertionSigner",
    "BotInfo",
    "InvalidAssertionError",
    "InvalidCredentialsError",
    "InvalidInputError",
    "InvalidTokenError",
    "IssuedToken",
    "KeyPair",
    "LineApiError",
    "LineTokenError",
    "RateLimitError",
    "ServerError",
    "TokenInfo",
    "TokenLimitError",
    "TokenUnavailableError",
    "TransportError",
    "UnknownKeyError",
    "__version__",
    "generate_key_pair",
    "jwk_thumbprint",
    "load_private_key",
    "public_jwk",
    "sign_assertion",
]
