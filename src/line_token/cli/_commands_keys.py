"""``keygen``, ``jwk`` and ``assertion``: the assertion signing key and what it signs."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import click

from .._assertion import MAX_ASSERTION_LIFETIME, MAX_TOKEN_EXP
from .._errors import InvalidInputError
from .._files import make_private_dirs, write_private_file
from .._keys import MIN_KEY_BITS, generate_key_pair, jwk_thumbprint, public_jwk
from ._config import ASSERTION_LIFETIME, ENV_KEY, ENV_KID, Settings, json_option, settings_options
from ._exit import EXIT_USAGE, CliError
from ._output import Output, format_expiry, iso_utc

__all__ = ["assertion", "jwk", "keygen"]

MAX_KEYGEN_BITS = 8192
"""Larger keys take minutes to hours to make (a typo like 99999999 would hang), and LINE's
signatures gain nothing from them."""

CONSOLE_PATH = "your channel > Basic settings > Assertion Signing Key > Register a public key"


def _write_public(path: Path, data: bytes, *, force: bool) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory to write the key files into (created if needed).",
)
@click.option(
    "--bits",
    type=click.IntRange(min=MIN_KEY_BITS, max=MAX_KEYGEN_BITS),
    default=MIN_KEY_BITS,
    show_default=True,
    help=f"RSA modulus size; LINE needs at least 2048 (at most {MAX_KEYGEN_BITS} here).",
)
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
@json_option
def keygen(out_dir: Path, bits: int, force: bool, json_mode: bool) -> None:
    """Make an RSA key pair for signing assertions, and show the JWK to register.

    Writes private.pem (mode 0600: keep it secret), public.pem and
    public.jwk.json. Register the JWK in the LINE Developers Console; the
    Console then shows a kid: put it in LINE_ASSERTION_KID.

    \b
    Examples:
      line-token keygen --out keys/
      export LINE_ASSERTION_KEY=$PWD/keys/private.pem
    """
    out = Output(json_mode=json_mode)
    paths = {
        "private": out_dir / "private.pem",
        "public": out_dir / "public.pem",
        "jwk": out_dir / "public.jwk.json",
    }
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing and not force:
        raise CliError(
            f"{', '.join(existing)} {'exists' if len(existing) == 1 else 'exist'} already; "
            "not overwriting a key. Pass --force to "
            "replace it (the old key stops working once removed from the Console), or --out "
            "another directory",
            EXIT_USAGE,
        )
    pair = generate_key_pair(bits)
    jwk_text = json.dumps(pair.public_jwk, indent=2) + "\n"
    try:
        make_private_dirs(out_dir)
        write_private_file(paths["private"], pair.private_pem, force=force)
        _write_public(paths["public"], pair.public_pem, force=force)
        _write_public(paths["jwk"], jwk_text.encode(), force=force)
    except OSError as exc:
        raise CliError(
            f"cannot write the key files in {str(out_dir)!r}: {exc.strerror or exc}; "
            "choose another --out directory",
            EXIT_USAGE,
        ) from None
    private_path = str(paths["private"].resolve())
    if json_mode:
        out.json(
            {
                "private_key": private_path,
                "public_key": str(paths["public"].resolve()),
                "jwk_file": str(paths["jwk"].resolve()),
                "bits": bits,
                "thumbprint": jwk_thumbprint(pair.public_jwk),
                "jwk": pair.public_jwk,
            }
        )
        return
    out.title(f"Wrote a {bits}-bit RSA key pair:")
    out.field("private key", f"{paths['private']}  (mode 0600; keep it secret, never commit it)")
    out.field("public key", str(paths["public"]))
    out.field("public JWK", str(paths["jwk"]))
    out.line()
    out.title("1. Register the public key in the LINE Developers Console:")
    out.line(f"   {CONSOLE_PATH}, and paste this JWK:")
    out.raw(jwk_text.rstrip())
    out.line()
    out.title("2. The Console then shows a kid for the key. Put it and the key path here:")
    out.raw(f"export {ENV_KID}=<the kid the Console shows>")
    out.raw(f"export {ENV_KEY}={private_path}")
    out.line()
    out.line("Then run `line-token check` to test the whole setup.")


@click.command()
@click.argument("keyfile", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--password",
    envvar="LINE_ASSERTION_KEY_PASSWORD",
    metavar="PASSWORD",
    help="The key's password, if it is an encrypted private key.",
)
@click.option(
    "--thumbprint", is_flag=True, help="Print the RFC 7638 thumbprint instead of the JWK."
)
def jwk(keyfile: Path, password: str | None, thumbprint: bool) -> None:
    """Print the public JWK of a private or public key (PEM or JWK), ready for the Console.

    Paste it at: your channel > Basic settings > Assertion Signing Key >
    Register a public key. The output is JSON already (no --json needed).

    \b
    Examples:
      line-token jwk keys/private.pem
      line-token jwk keys/public.pem | pbcopy
    """
    try:
        key_jwk = public_jwk(keyfile, password)
    except InvalidInputError as exc:
        raise CliError(f"{keyfile}: {exc}", EXIT_USAGE) from None
    out = Output()
    out.raw(jwk_thumbprint(key_jwk) if thumbprint else json.dumps(key_jwk, indent=2))


@click.command()
@click.option(
    "--token-exp",
    type=click.IntRange(min=1, max=MAX_TOKEN_EXP),
    default=MAX_TOKEN_EXP,
    show_default=True,
    help="Lifetime in seconds of the v2.1 token the assertion asks for (max 30 days).",
)
@click.option(
    "--lifetime",
    type=click.IntRange(min=1, max=MAX_ASSERTION_LIFETIME),
    default=ASSERTION_LIFETIME,
    show_default=True,
    help="Seconds until the assertion itself expires (max 1800; the default leaves room "
    "for clock skew).",
)
@json_option
@settings_options(secret=False)
def assertion(token_exp: int, lifetime: int, json_mode: bool, settings: Settings) -> None:
    """Sign a JWT assertion for the channel and print it.

    Uses the channel id, kid and private key. The JWT is what LINE's v2.1,
    stateless-by-JWT and key-id endpoints take as client_assertion.

    \b
    Examples:
      line-token assertion
      curl -d grant_type=client_credentials \\
           -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \\
           -d client_assertion="$(line-token assertion --token-exp 86400)" \\
           https://api.line.me/oauth2/v2.1/token
    """
    signer = settings.signer()
    now = time.time()
    jwt = signer.sign(token_exp=token_exp, lifetime=lifetime)
    out = Output(json_mode=json_mode)
    if json_mode:
        out.json(
            {
                "assertion": jwt,
                "channel_id": signer.channel_id,
                "kid": signer.kid,
                "expires_at": iso_utc(int(now) + lifetime),
                "token_exp": token_exp,
            }
        )
        return
    out.raw(jwt)
    out.note(
        f"assertion for channel {signer.channel_id}, kid {signer.kid}; "
        f"{format_expiry(int(now) + lifetime, now)}"
    )
