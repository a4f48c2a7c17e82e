"""The emulator against LINE's own OpenAPI file (vendored beside this test), with schemathesis.

For every operation in ``line-openapi/channel-access-token.yml``, schemathesis generates
requests that fit the schema (positive) and requests that do not (negative), and each is
sent to the emulator's ASGI app in-process. Each positive request is sent a second time
with the channel's real credentials put in place of the generated ones (a real id and
secret, a freshly signed assertion, a live token of the right kind), so the success
answers are checked against the schema too, not only the refusals.

Checks on every answer: no 5xx (``not_a_server_error``); the body matches the schema LINE
documents for that status (``response_schema_conformance``); the content type is the
documented one (``content_type_conformance``); documented headers
(``response_headers_conformance``); invalid input is refused (``negative_data_rejection``).

One built-in check is replaced, narrowly: ``status_code_conformance``. LINE's OpenAPI file
documents only ``200`` for seven of the eight operations (and ``200``/``400`` for
``issueChannelToken``), but LINE's reference documents error answers for all of them
(``../shared/docs/line-contract.md`` §2: 400 on every endpoint, 404 ``Cannot find channel
key...`` on the three that take an assertion). :func:`status_documented_by_line` allows
exactly those statuses per operation, and :func:`error_body_is_lines` checks that every such
answer has one of LINE's two documented error bodies.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis import checks as core_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

from line_token import AssertionSigner, generate_key_pair
from line_token.emulator import Emulator
from line_token.emulator._server import asgi_app

SPEC = Path(__file__).parent / "line-openapi" / "channel-access-token.yml"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

#: Statuses LINE's reference documents beyond what its OpenAPI file lists (contract §2).
ASSERTION_OPERATIONS = {
    "issueChannelTokenByJWT",
    "getsAllValidChannelAccessTokenKeyIds",
    "issueStatelessChannelToken",
}


def line_statuses(operation_id: str) -> set[int]:
    """200 and 400 everywhere; 404 (unknown kid) where an assertion is taken."""
    return {200, 400} | ({404} if operation_id in ASSERTION_OPERATIONS else set())


def status_documented_by_line(ctx: Any, response: Any, case: Any) -> bool | None:
    """Replaces status_code_conformance: the status is one LINE documents for the operation."""
    operation_id = case.operation.definition.raw.get("operationId")
    allowed = line_statuses(operation_id)
    if response.status_code not in allowed:
        raise AssertionError(
            f"{operation_id}: status {response.status_code} is not one LINE documents "
            f"({sorted(allowed)})"
        )
    return True


def _is_line_error(body: Any) -> bool:
    if not isinstance(body, dict) or not body:
        return False
    if "error" in body:  # OAuth shape (OpenAPI ErrorResponse): error, error_description?
        return (
            set(body) <= {"error", "error_description"}
            and isinstance(body["error"], str)
            and isinstance(body.get("error_description", ""), str)
        )
    # Messaging API shape (messaging-api.yml ErrorResponse): message, details[]?
    details = body.get("details", [])
    return (
        set(body) <= {"message", "details"}
        and isinstance(body.get("message"), str)
        and isinstance(details, list)
        and all(isinstance(d, dict) and isinstance(d.get("message"), str) for d in details)
    )


def error_body_is_lines(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx carries JSON in one of LINE's two error shapes, and a request id."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"error body is not JSON: {response.content[:100]!r}") from None
    if not _is_line_error(body):
        raise AssertionError(f"error body is not one of LINE's shapes: {body!r}")
    if not response.headers.get("x-line-request-id"):
        raise AssertionError("no x-line-request-id header")
    return True


CHECKS = [
    core_checks.not_a_server_error,
    openapi_checks.response_schema_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
    status_documented_by_line,
    error_body_is_lines,
]


class _Channel:
    """The emulator, its channel and key, and live credentials to put into requests."""

    def __init__(self) -> None:
        self.emulator = Emulator(seed=11)
        self.channel = self.emulator.create_channel()
        pair = generate_key_pair()
        kid = self.emulator.register_public_key(self.channel.channel_id, pair.public_jwk)
        self.signer = AssertionSigner(
            self.channel.channel_id, kid, pair.private_pem, clock=self.emulator.clock
        )
        self.app = asgi_app(self.emulator)

    def _mint(self, path: str, **fields: str) -> str:
        body = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
        form = {"content-type": "application/x-www-form-urlencoded"}
        answer = self.emulator.handle("POST", path, {}, form, body)
        assert answer.status == 200, answer.body
        token: str = answer.json()["access_token"]
        return token

    def real_values(self, operation_id: str) -> dict[str, str]:
        """What each field must hold for the operation to succeed, minted now."""
        ids = {"client_id": self.channel.channel_id, "client_secret": self.channel.channel_secret}
        values = {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.signer.sign(token_exp=3600),
            **ids,
        }
        if operation_id in ("verifyChannelToken", "revokeChannelToken"):
            values["access_token"] = self._mint(
                "/v2/oauth/accessToken", grant_type="client_credentials", **ids
            )
        elif operation_id in ("verifyChannelTokenByJWT", "revokeChannelTokenByJWT"):
            values["access_token"] = self._mint(
                "/oauth2/v2.1/token",
                grant_type="client_credentials",
                client_assertion_type=ASSERTION_TYPE,
                client_assertion=self.signer.sign(token_exp=3600),
            )
        return values

    def tidy(self) -> None:
        """Keep the channel under LINE's 30-token caps between examples."""
        for token in self.emulator.tokens(self.channel.channel_id):
            token.revoked = True


def _with_real_values(case: Any, values: dict[str, str]) -> bool:
    """Put the real values into the case's form body or query; whether anything changed."""
    changed = False
    for container in (case.body, case.query):
        if isinstance(container, dict):
            for name in list(container):
                if name in values:
                    container[name] = values[name]
                    changed = True
    return changed


@pytest.mark.guarantee(
    "Every answer the emulator gives to requests generated from LINE's own OpenAPI file "
    "(schema-valid and invalid, with and without real credentials) matches LINE's documented "
    "schemas, statuses and error bodies, and none is a 5xx."
)
@pytest.mark.parametrize(
    ("positive", "negative"),
    [pytest.param(60, 30, id="quick"), pytest.param(250, 120, id="long", marks=pytest.mark.slow)],
)
def test_emulator_conforms_to_lines_openapi(positive: int, negative: int, figures: Any) -> None:
    schema = schemathesis.openapi.from_path(str(SPEC))
    rig = _Channel()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8  # LINE's eight channel-access-token operations

    def send(case: Any) -> None:
        response = case.call(app=rig.app)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (FailureGroup, AssertionError) as exc:  # keep going, report them all
            failures.append(f"{case.operation.label}: {str(exc)[:1500]}")

    def prober(operation: Any, mode: GenerationMode, examples: int) -> Any:
        operation_id = operation.definition.raw["operationId"]

        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            send(case)
            if mode is GenerationMode.POSITIVE and _with_real_values(
                case, rig.real_values(operation_id)
            ):
                send(case)
            rig.tidy()

        return run

    for operation in operations:
        prober(operation, GenerationMode.POSITIVE, positive)()
        prober(operation, GenerationMode.NEGATIVE, negative)()

    calls = sum(statuses.values())
    figures.add(calls=calls, failures=len(failures), operations=len(operations))
    figures.add(answered_200=statuses[200], answered_400=statuses[400], answered_404=statuses[404])
    assert not failures, "\n\n".join(failures[:5])
    assert statuses[200] > 0
    assert statuses[400] > 0


def test_a_wrong_answer_is_caught() -> None:
    """Control: the checks fail an answer that breaks LINE's schema (a 200 without key_id)."""
    schema = schemathesis.openapi.from_path(str(SPEC))
    operation = schema["/oauth2/v2.1/token"]["POST"]
    case = operation.Case(
        body={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": "a.b.c",
        },
        media_type="application/x-www-form-urlencoded",
    )

    async def broken_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await receive()
        body = json.dumps({"access_token": "t", "token_type": "Bearer", "expires_in": 1}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    response = case.call(app=broken_app)
    with pytest.raises(FailureGroup, match='"key_id" is a required property'):
        case.validate_response(response, checks=CHECKS)
    verify = schema["/v2/oauth/verify"]["POST"].Case(
        body={"access_token": "x"}, media_type="application/x-www-form-urlencoded"
    )

    async def not_found_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await receive()
        headers = [(b"content-type", b"application/json"), (b"x-line-request-id", b"1")]
        await send({"type": "http.response.start", "status": 404, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"message":"Not found"}'})

    with pytest.raises(FailureGroup, match="is not one LINE documents"):
        verify.validate_response(verify.call(app=not_found_app), checks=CHECKS)
    assert not _is_line_error({"error": 1})
    assert not _is_line_error({"message": "x", "stack": "..."})
    assert _is_line_error({"error": "invalid_request"})
