"""Schemathesis hooks for the reward-api fuzz stage (ops/lib/schemathesis.sh).

Generated requests reach the code behind the authentication, not only the 401s:

- POST /v1/bonus is signed as an activity service would sign it
  (Sources/RewardAPI/Services/RequestSignature.swift): the signature is computed in a `requests`
  auth step, over the exact bytes and request target that go on the wire. A case whose headers
  schemathesis made invalid on purpose (negative mode) is sent as generated, unsigned, and must
  get a documented 401.
- The wallet endpoints get the gateway's key and, unless the headers are negative on purpose,
  X-Reward-User equal to the path's user id (the gateway asserts the user the path names).

Settings come from the environment: REWARD_FUZZ_SERVICE, REWARD_FUZZ_SECRET (base64),
REWARD_FUZZ_GATEWAY_KEY.
"""

import base64
import hashlib
import hmac
import os
import time

import schemathesis
from requests.auth import AuthBase
from schemathesis.core.parameters import ParameterLocation

SERVICE = os.environ["REWARD_FUZZ_SERVICE"]
SECRET = base64.b64decode(os.environ["REWARD_FUZZ_SECRET"])
GATEWAY_KEY = os.environ["REWARD_FUZZ_GATEWAY_KEY"]


class ServiceSignature(AuthBase):
    """X-Reward-Service, X-Reward-Timestamp and X-Reward-Signature over the prepared request."""

    def __call__(self, request):
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        timestamp = str(int(time.time()))
        canonical = "\n".join([
            "reward-api-v2",
            request.method.upper(),
            request.path_url,
            SERVICE,
            timestamp,
            hashlib.sha256(body).hexdigest(),
        ])
        request.headers["X-Reward-Service"] = SERVICE
        request.headers["X-Reward-Timestamp"] = timestamp
        request.headers["X-Reward-Signature"] = hmac.new(SECRET, canonical.encode("utf-8"), hashlib.sha256).hexdigest()
        return request


def _negative_headers(case):
    meta = getattr(case, "meta", None)
    return meta is not None and meta.is_negative_at(ParameterLocation.HEADER)


def _sendable(value):
    return isinstance(value, str) and value.isascii() and value.isprintable() and value.strip() == value


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    if path == "/v1/bonus":
        if not _negative_headers(case):
            kwargs["auth"] = ServiceSignature()
    elif path.startswith("/v1/users/"):
        headers = case.headers if case.headers is not None else {}
        headers["X-Reward-Gateway-Key"] = GATEWAY_KEY
        user = (case.path_parameters or {}).get("id")
        if not _negative_headers(case) and _sendable(user):
            headers["X-Reward-User"] = user
        case.headers = headers
