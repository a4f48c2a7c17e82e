"""Assertion signing: the kept signer against a raw RS256 signature, and one-shot PEM signing.

The raw contender signs exactly the bytes line-token signs (header and claims
built once, outside the timing) with ``cryptography``; the signer also builds
and encodes the claims each call. The one-shot rows parse the PEM every call,
which is where RSA key validation dominates.
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable

from .._common import EmulatorProcess, Section, Settings, Stats, fmt_time


def _per_call(fn: Callable[[], object], number: int, repeat: int) -> Stats:
    times = timeit.repeat(fn, number=number, repeat=repeat, timer=time.perf_counter)
    return Stats.of([t / number for t in times])


def _interleaved(
    contenders: dict[str, Callable[[], object]], number: int, repeat: int
) -> dict[str, Stats]:
    """``repeat`` rounds; each round times ``number`` calls of every contender in turn."""
    names = list(contenders)
    samples: dict[str, list[float]] = {n: [] for n in names}
    for name in names:  # warm-up
        contenders[name]()
    for i in range(repeat):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            t = timeit.timeit(contenders[name], number=number, timer=time.perf_counter)
            samples[name].append(t / number)
    return {n: Stats.of(s) for n, s in samples.items()}


def run(settings: Settings, server: EmulatorProcess) -> list[Section]:
    """Signer vs raw cryptography vs PyJWT; one-shot sign_assertion; private-key loading."""
    import jwt
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    from line_token import AssertionSigner, load_private_key, sign_assertion

    fx = server.fixture
    pem = fx.pem
    signer = AssertionSigner(fx.channel_id, fx.kid, pem)
    sample = signer.sign(token_exp=900)
    signing_input = sample.rsplit(".", 1)[0].encode("ascii")
    key = serialization.load_pem_private_key(pem, None)
    pkcs1 = padding.PKCS1v15()
    sha256 = hashes.SHA256()
    claims = {"iss": fx.channel_id, "sub": fx.channel_id, "aud": "https://api.line.me/"}

    def pyjwt() -> str:
        payload = {**claims, "exp": int(time.time()) + 1800, "token_exp": 900}
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": fx.kid})

    number = settings.n(200, 5)
    repeat = settings.n(40, 3)
    kept = _interleaved(
        {
            "raw cryptography sign (same bytes)": lambda: key.sign(signing_input, pkcs1, sha256),
            "AssertionSigner.sign": lambda: signer.sign(token_exp=900),
            "PyJWT jwt.encode (loaded key)": pyjwt,
        },
        number,
        repeat,
    )
    section = Section("Signing: kept key")
    raw = kept["raw cryptography sign (same bytes)"]
    section.timing("raw cryptography sign (same bytes)", raw, ref=raw, ref_name="raw")
    section.timing(
        "AssertionSigner.sign",
        kept["AssertionSigner.sign"],
        ref=raw,
        ref_name="raw",
        target="<= 1.30x raw",
        limit=1.3,
    )
    section.timing(
        "PyJWT jwt.encode (loaded key)",
        kept["PyJWT jwt.encode (loaded key)"],
        ref=raw,
        ref_name="raw",
    )

    one_number = settings.n(4, 1)
    one_repeat = settings.n(15, 2)
    oneshot = _interleaved(
        {
            "sign_assertion(PEM), one-shot": lambda: sign_assertion(
                fx.channel_id, fx.kid, pem, token_exp=900
            ),
            "PyJWT jwt.encode(PEM), one-shot": lambda: jwt.encode(
                {**claims, "exp": int(time.time()) + 1800},
                pem,
                algorithm="RS256",
                headers={"kid": fx.kid},
            ),
            "load_private_key(PEM)": lambda: load_private_key(pem),
            "cryptography load_pem_private_key": lambda: serialization.load_pem_private_key(
                pem, None
            ),
            "cryptography load, unsafe_skip_rsa_key_validation": lambda: (
                serialization.load_pem_private_key(pem, None, unsafe_skip_rsa_key_validation=True)
            ),
        },
        one_number,
        one_repeat,
    )
    parse = Section("Signing: one-shot and private-key load")
    signer_stats = kept["AssertionSigner.sign"]
    for name, stats in oneshot.items():
        parse.timing(name, stats, ref=signer_stats, ref_name="AssertionSigner.sign")
    load = oneshot["load_private_key(PEM)"]
    full = oneshot["cryptography load_pem_private_key"]
    skip = oneshot["cryptography load, unsafe_skip_rsa_key_validation"]
    parse.notes.append(
        f"cryptography's default PEM load validates the RSA key (primality of p and q): "
        f"{fmt_time(full.median)}, against {fmt_time(skip.median)} without. "
        f"`load_private_key` skips that check, since the key is the user's own and not "
        f"hostile input, and proves the key instead by signing once and verifying: "
        f"{fmt_time(load.median)} in all, {full.median / load.median:.0f}x cheaper than the "
        "default load. A kept AssertionSigner pays even that only once."
    )
    return [section, parse]
