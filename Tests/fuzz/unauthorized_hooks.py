"""schemathesis hooks for the unauthenticated pass of Tests/fuzz/schemathesis.sh (issue 13): every generated
request goes out without an Authorization header, and every answer must be API Gateway's own refusal, a 401
with exactly `{"message":"Unauthorized"}` and `www-authenticate: Bearer`; the function is never reached.
"""

import json

import schemathesis


@schemathesis.check
def unauthorized_without_token(ctx, response, case):
    """A request without a bearer token gets the JWT authorizer's 401, whatever else it carries."""
    if response.status_code != 401:
        raise AssertionError(f"expected 401 without a token, got {response.status_code}: {response.text[:200]}")
    try:
        body = json.loads(response.text)
    except ValueError:
        raise AssertionError(f"401 body is not JSON: {response.text[:200]!r}") from None
    if body != {"message": "Unauthorized"}:
        raise AssertionError(f'401 body is not {{"message":"Unauthorized"}}: {body!r}')
    challenge = response.headers.get("www-authenticate") or response.headers.get("WWW-Authenticate")
    if isinstance(challenge, list):
        challenge = challenge[0] if challenge else None
    if not challenge or not str(challenge).startswith("Bearer"):
        raise AssertionError(f"401 without `www-authenticate: Bearer`: {challenge!r}")
