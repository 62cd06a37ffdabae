"""OWN502 jwt-verification-disabled."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..analysis.raises import own_nodes
from ..analysis.tokens import (
    VERIFY_OPTIONS,
    DisabledCheck,
    Function,
    JwtCall,
    Operation,
    claim_read,
    disabled_checks,
    jwt_calls,
)
from ..rule import TOKEN_MARKERS, Case, Rule, Violation

_UNVERIFIED = (Operation.UNVERIFIED_CLAIMS, Operation.UNVERIFIED_HEADER)


class JwtVerificationDisabled(Rule):
    """## What it does
    Checks for JWTs whose verification is switched off:
    - `jwt.decode(..., options={"verify_signature": False})`, and likewise `verify_exp`,
      `verify_nbf` or `verify_aud` set to `False`, whether the options dict is written in the
      call or bound to a variable of the same function or module (`dict(...)` too);
    - `jwt.decode(..., verify=False)` (PyJWT 1.x);
    - python-jose's `jwt.get_unverified_claims(token)` or `jwt.get_unverified_header(token)`
      used as the identity source: the result is returned, or a subject claim (`sub`,
      `user_id`, `uid`, `username`) is read from it.

    ## Why is this bad?
    A token that is not verified is just JSON the client wrote. With the signature unchecked
    anyone can mint a token for any user id; with `exp` or `nbf` unchecked a stolen token never
    expires; with `aud` unchecked a token issued for another service is accepted here. That is
    broken authentication (OWASP API2:2023) and, since the identity then comes from the
    attacker, broken object level authorization as well. RFC 8725 requires every JWT to be
    validated (section 3.3: validate all cryptographic operations; 3.9: use and validate the
    audience).

    Reading the unverified *header* to choose a key (`kid`) before a verified decode is a
    legitimate pattern and is not reported; only an unverified result that becomes the identity is.

    ## Example
    ```python
    def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
        claims = jwt.get_unverified_claims(token)
        return claims["sub"]
    ```

    ## Use instead
    ```python
    def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
        try:
            claims = jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
        except JWTError:
            raise HTTPException(status_code=401, detail="Invalid token")
        ...
    ```

    ## Fix safety
    No fix is offered: verifying needs the key and the algorithms the issuer really uses, and
    code that deliberately peeks into a token (to log it, or to route it to the right key) has to
    be restructured by hand.

    ## Options
    None.

    ## References
    - [OWASP API Security Top 10 2023, API2: Broken Authentication](https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/)
    - [RFC 8725: JSON Web Token Best Current Practices](https://www.rfc-editor.org/rfc/rfc8725)
    - [RFC 7519: JSON Web Token, 7.2 Validating a JWT](https://www.rfc-editor.org/rfc/rfc7519#section-7.2)
    - [RFC 6750, 5.1 Security Threats (token manufacture and modification)](https://www.rfc-editor.org/rfc/rfc6750#section-5.1)
    - [RFC 9110, 15.5.2 401 Unauthorized](https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2)
    - [PyJWT: Reading the claimset without validation](https://pyjwt.readthedocs.io/en/stable/usage.html#reading-the-claimset-without-validation)
    - [python-jose: JWT API (get_unverified_claims)](https://python-jose.readthedocs.io/en/latest/jwt/api.html)
    """

    code = "OWN502"
    name = "jwt-verification-disabled"
    cwe = (347,)
    security_severity = "9.1"
    markers = TOKEN_MARKERS
    summary = "JWT verification is switched off"
    message_formats = (
        "`{call}` switches off `{option}`: {consequence}",
        "`{call}` reads the token without verifying it, and its result is used as the identity",
    )

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for call, function in jwt_calls(ctx):
            for disabled in disabled_checks(ctx, function, call):
                yield _disabled(call, disabled)
            if call.operation in _UNVERIFIED and _identity_source(call, function):
                yield Violation(
                    node=call.node,
                    message=f"`{call.written}` reads the token without verifying it, and its result is used as the identity",
                )

    VALID = (
        Case(
            id="the seed's verified decode",
            source="""
            import os
            from jose import jwt

            def subject(token: str) -> str:
                payload = jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
                return payload.get("sub")
            """,
        ),
        Case(
            id="verification options left on",
            source="""
            import jwt

            OPTIONS = {"verify_signature": True, "require": ["exp", "sub"]}

            def decode(token: str, key: str) -> dict:
                return jwt.decode(token, key, algorithms=["HS256"], options=OPTIONS)
            """,
        ),
        Case(
            id="unverified header read to pick the key",
            source="""
            from jose import jwt

            def decode(token: str, keys: dict) -> dict:
                header = jwt.get_unverified_header(token)
                key = keys[header["kid"]]
                return jwt.decode(token, key, algorithms=["RS256"])
            """,
        ),
        Case(
            id="verify_signature False on something that is not a JWT library",
            source="""
            from myapp.tokens import decode

            def peek(token: str) -> dict:
                return decode(token, options={"verify_signature": False})
            """,
            files={"myapp/__init__.py": "", "myapp/tokens.py": "def decode(token, options=None):\n    return {}\n"},
        ),
    )

    INVALID = (
        Case(
            id="PyJWT decode with the signature unchecked",
            source="""
            import jwt

            def get_current_user(token: str) -> str:
                payload = jwt.decode(token, options={"verify_signature": False})
                return payload["sub"]
            """,
        ),
        Case(
            id="python-jose decode with expiry unchecked through a module-level dict",
            source="""
            from jose import jwt

            DECODE_OPTIONS = {"verify_exp": False}

            def decode(token: str, key: str) -> dict:
                return jwt.decode(token, key, algorithms=["HS256"], options=DECODE_OPTIONS)
            """,
        ),
        Case(
            id="options dict bound in the same function, audience unchecked",
            source="""
            from jose.jwt import decode

            def claims(token: str, key: str) -> dict:
                options = dict(verify_aud=False)
                return decode(token, key, algorithms=["HS256"], options=options)
            """,
        ),
        Case(
            id="PyJWT 1.x verify=False",
            source="""
            import jwt

            def claims(token: str) -> dict:
                return jwt.decode(token, verify=False)
            """,
        ),
        Case(
            id="python-jose unverified claims used as the identity",
            source="""
            from fastapi import Depends
            from fastapi.security import OAuth2PasswordBearer
            from jose import jwt

            oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

            def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
                claims = jwt.get_unverified_claims(token)
                return claims["sub"]
            """,
        ),
        Case(
            id="unverified claims returned directly",
            source="""
            import jose.jwt

            def claims(token: str) -> dict:
                return jose.jwt.get_unverified_claims(token)
            """,
        ),
    )


def _disabled(call: JwtCall, disabled: DisabledCheck) -> Violation:
    if disabled.option == "verify":
        message = f"`{call.written}` is called with `verify=False`: {VERIFY_OPTIONS['verify_signature']}"
    else:
        through = f" (through `{disabled.via}`)" if disabled.via else ""
        message = (
            f"`{call.written}` switches off `{disabled.option}`{through}: {VERIFY_OPTIONS[disabled.option]}"
        )
    return Violation(node=disabled.node, message=message, noqa_node=call.node)


def _identity_source(call: JwtCall, function: Function | None) -> bool:
    """The unverified result is returned, or a subject claim is read from it."""
    if function is None:
        return False
    names = {
        target.id
        for node in own_nodes(function)
        if isinstance(node, ast.Assign) and node.value is call.node
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def is_result(expr: ast.expr) -> bool:
        return expr is call.node or (isinstance(expr, ast.Name) and expr.id in names)

    for node in own_nodes(function):
        returned = isinstance(node, ast.Return) and node.value is not None and is_result(node.value)
        if (returned and call.operation is Operation.UNVERIFIED_CLAIMS) or claim_read(node, is_result):
            return True
    return False
