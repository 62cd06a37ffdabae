"""OWN402 auth-failure-status."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..analysis.raises import (
    RaisedException,
    has_headers,
    is_http_status_member,
    raised_http_exception,
    raises_in,
    status_value,
)
from ..analysis.tokens import (
    BROAD_EXCEPTIONS,
    KEY_ERRORS,
    TRY_STATEMENTS,
    Function,
    TokenScope,
    catches_any,
    catches_token_error,
    caught,
    claim_read,
    is_auth_function,
    missing_test,
    module_functions,
    placed_statements,
)
from ..analysis.walk import walk
from ..fixes.actions import AddKeywordArgument, FixAction, ReplaceExpression, span_of
from ..fixes.auth_errors import BEARER_HEADERS, source_of
from ..fixes.guards import status_code_expr
from ..rule import AUTH_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import DEPENDENCIES_PY

_INVALID_TOKEN = "an invalid token"
_EXPIRED_TOKEN = "an expired token"
_NO_SUBJECT = "a token without a subject"


class AuthFailureStatus(Rule):
    """## What it does
    Checks auth dependencies (a configured or detected auth dependency, or any function that
    decodes a JWT) that reject the token itself with a status other than 401. A rejection of
    the token is a `raise HTTPException(...)`
    - in an `except` handler for the JWT library's errors (`JWTError`, `ExpiredSignatureError`,
      `jwt.PyJWTError`, `jwt.InvalidTokenError`, `jwt.exceptions.*`...);
    - in an `except KeyError` around a read of the subject claim (`payload["sub"]`);
    - in the branch of an `if` that tests the decoded payload or its subject for a missing
      value (`if user_id is None:`, `if not payload:`, `if "sub" not in payload:`, the `else`
      of `if user_id is not None:`).

    The raised exception may be written inline or bound once to a name
    (`credentials_exception = HTTPException(...)` in the function or at module level) and
    raised by name; statuses are read from literals, `status.HTTP_*` and `HTTPStatus.*`.

    ## Why is this bad?
    RFC 9110 gives the two failures different codes: 401 means "no valid credentials, log in
    again"; 403 means "you are who you say, and still may not". A client that gets 403 for an
    expired token will not refresh it; one that gets 400 or 500 sees a bug instead of a login
    prompt, and monitoring counts attacks as server errors. RFC 6750 (section 3) also requires a
    401 for a bearer token to carry `WWW-Authenticate: Bearer`. Broken authentication responses
    are part of OWASP API2:2023.

    A 403 for an inactive user, missing scopes or the wrong role is authorization, not
    authentication: it is not reported. Neither is a dependency that raises a
    `credentials_exception` defined as a 401, FastAPI's tutorial style.

    ## Example
    ```python
    async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
        try:
            payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
        except JWTError:
            raise HTTPException(status_code=403, detail="Invalid token")
        ...
    ```

    ## Use instead
    ```python
    async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
        try:
            payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
        except JWTError:
            raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
        ...
    ```

    ## Fix safety
    The fix is safe: it changes the status to 401 where the exception is written (positional or
    `status_code=`, `status.HTTP_401_UNAUTHORIZED` in a file that uses `fastapi.status`,
    `HTTPStatus.UNAUTHORIZED` where the file wrote an `HTTPStatus` member) and adds
    `headers={"WWW-Authenticate": "Bearer"}` when the exception has no headers. Only the status
    of a token rejection changes. An exception bound in another module is reported without a fix.

    ## Options
    - `auth-dependencies`

    ## References
    - [OWASP API Security Top 10 2023, API2: Broken Authentication](https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/)
    - [RFC 9110, 15.5.2 401 Unauthorized and 15.5.4 403 Forbidden](https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2)
    - [RFC 6750, 3. The WWW-Authenticate Response Header Field](https://www.rfc-editor.org/rfc/rfc6750#section-3)
    - [RFC 7519, 7.2 Validating a JWT](https://www.rfc-editor.org/rfc/rfc7519#section-7.2)
    - [RFC 8725: JSON Web Token Best Current Practices](https://www.rfc-editor.org/rfc/rfc8725)
    - [FastAPI: Security - OAuth2 with Password (and hashing), Bearer with JWT tokens](https://fastapi.tiangolo.com/tutorial/security/oauth2-jwt/)
    - [python-jose: JWT API](https://python-jose.readthedocs.io/en/latest/jwt/api.html)
    - [PyJWT: Exceptions](https://pyjwt.readthedocs.io/en/stable/api.html#exceptions)
    """

    code = "OWN402"
    name = "auth-failure-status"
    cwe = (287,)
    security_severity = "5.3"
    markers = AUTH_MARKERS
    requires = (b"raise",)  # every finding is the exception of a ``raise``
    summary = "Auth dependency rejects a bad token with a status other than 401"
    message_formats = ("`{function}` answers {failure} with {status} instead of 401",)
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for function, _owner in module_functions(ctx.module):
            if not is_auth_function(ctx, function):
                continue
            for raise_node, failure in _token_rejections(ctx, function):
                raised = raised_http_exception(ctx.index, ctx.module, function, raise_node)
                if raised is None:
                    continue
                status = status_value(ctx.index, raised.module, raised.status_node)
                if status is None or status == 401:
                    continue
                yield Violation(
                    node=raise_node.exc,  # type: ignore[arg-type]
                    message=f"`{function.name}` answers {failure} with {status} instead of 401",
                    fix=_fix(ctx, raised),
                    noqa_node=raise_node,
                )

    VALID = (
        Case(
            id="the seed's dependency answers 401",
            source=DEPENDENCIES_PY,
        ),
        Case(
            id="FastAPI tutorial credentials_exception defined once as a 401",
            source="""
            from fastapi import Depends, HTTPException, status
            from fastapi.security import OAuth2PasswordBearer
            import jwt
            from jwt.exceptions import InvalidTokenError

            oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


            async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
                credentials_exception = HTTPException(
                    status_code=status.HTTP_401_UNAUTHORIZED,
                    detail="Could not validate credentials",
                    headers={"WWW-Authenticate": "Bearer"},
                )
                try:
                    payload = jwt.decode(token, SECRET_KEY, algorithms=[ALGORITHM])
                    username = payload.get("sub")
                    if username is None:
                        raise credentials_exception
                except InvalidTokenError:
                    raise credentials_exception
                return username
            """,
        ),
        Case(
            id="403 for an inactive user is authorization",
            source="""
            from fastapi import Depends, HTTPException
            from dependencies import get_current_user
            from users import load_user

            def get_current_active_user(user_id: str = Depends(get_current_user)):
                user = load_user(user_id)
                if user.disabled:
                    raise HTTPException(status_code=403, detail="Inactive user")
                return user
            """,
            files={"dependencies.py": DEPENDENCIES_PY, "users.py": "def load_user(user_id):\n    return None\n"},
        ),
        Case(
            id="403 for missing scopes is authorization",
            source="""
            from fastapi import HTTPException, Security
            from fastapi.security import SecurityScopes
            from jose import JWTError, jwt

            def get_current_user(security_scopes: SecurityScopes, token: str) -> str:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                except JWTError:
                    raise HTTPException(status_code=401, detail="Invalid token")
                scopes = payload.get("scopes", [])
                for scope in security_scopes.scopes:
                    if scope not in scopes:
                        raise HTTPException(status_code=403, detail="Not enough permissions")
                return payload["sub"]
            """,
        ),
        Case(
            id="a function that is not an auth dependency",
            source="""
            from fastapi import HTTPException

            def parse(raw: dict) -> str:
                user_id = raw.get("sub")
                if user_id is None:
                    raise HTTPException(status_code=400, detail="sub is required")
                return user_id
            """,
        ),
    )

    INVALID = (
        Case(
            id="403 in the JWTError handler gets 401 and the Bearer header",
            source="""
            import os

            from fastapi import Depends, HTTPException
            from fastapi.security import OAuth2PasswordBearer
            from jose import JWTError, jwt

            oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


            async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
                try:
                    payload = jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
                except JWTError:
                    raise HTTPException(status_code=403, detail="Invalid token")
                user_id = payload.get("sub")
                if user_id is None:
                    raise HTTPException(status_code=401, detail="Invalid token")
                return user_id
            """,
            fixed="""
            import os

            from fastapi import Depends, HTTPException
            from fastapi.security import OAuth2PasswordBearer
            from jose import JWTError, jwt

            oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


            async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
                try:
                    payload = jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
                except JWTError:
                    raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
                user_id = payload.get("sub")
                if user_id is None:
                    raise HTTPException(status_code=401, detail="Invalid token")
                return user_id
            """,
            settings={"select": ("OWN402",)},
        ),
        Case(
            id="missing sub answered 400, positional status kept positional",
            source="""
            import jwt
            from fastapi import HTTPException

            def verify_token(authorization: str) -> str:
                try:
                    claims = jwt.decode(authorization, KEY, algorithms=["HS256"])
                except jwt.InvalidTokenError:
                    raise HTTPException(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
                if "sub" not in claims:
                    raise HTTPException(400, "Token has no subject")
                return claims["sub"]
            """,
            fixed="""
            import jwt
            from fastapi import HTTPException

            def verify_token(authorization: str) -> str:
                try:
                    claims = jwt.decode(authorization, KEY, algorithms=["HS256"])
                except jwt.InvalidTokenError:
                    raise HTTPException(401, "Invalid token", headers={"WWW-Authenticate": "Bearer"})
                if "sub" not in claims:
                    raise HTTPException(401, "Token has no subject", headers={"WWW-Authenticate": "Bearer"})
                return claims["sub"]
            """,
            settings={"select": ("OWN402",)},
        ),
        Case(
            id="file that uses fastapi.status keeps its style, expired token answered 500",
            source="""
            from fastapi import HTTPException, status
            from jose import ExpiredSignatureError, JWTError, jwt

            def get_current_user(token: str) -> str:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                except ExpiredSignatureError:
                    raise HTTPException(
                        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
                        detail="Token expired",
                    )
                except JWTError:
                    raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid token")
                user_id = payload.get("sub")
                if not user_id:
                    raise HTTPException(status_code=401, detail="Invalid token")
                return user_id
            """,
            fixed="""
            from fastapi import HTTPException, status
            from jose import ExpiredSignatureError, JWTError, jwt

            def get_current_user(token: str) -> str:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                except ExpiredSignatureError:
                    raise HTTPException(
                        status_code=status.HTTP_401_UNAUTHORIZED,
                        detail="Token expired",
                        headers={"WWW-Authenticate": "Bearer"},
                    )
                except JWTError:
                    raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid token")
                user_id = payload.get("sub")
                if not user_id:
                    raise HTTPException(status_code=401, detail="Invalid token")
                return user_id
            """,
            settings={"select": ("OWN402",)},
        ),
        Case(
            id="credentials_exception defined once as a 403",
            source="""
            from fastapi import Depends, HTTPException
            from jose import JWTError, jwt

            credentials_exception = HTTPException(
                status_code=403,
                detail="Could not validate credentials",
                headers={"WWW-Authenticate": "Bearer"},
            )


            def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                except JWTError:
                    raise credentials_exception
                user_id = payload.get("sub")
                if user_id is None:
                    raise credentials_exception
                return user_id
            """,
            fixed="""
            from fastapi import Depends, HTTPException
            from jose import JWTError, jwt

            credentials_exception = HTTPException(
                status_code=401,
                detail="Could not validate credentials",
                headers={"WWW-Authenticate": "Bearer"},
            )


            def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                except JWTError:
                    raise credentials_exception
                user_id = payload.get("sub")
                if user_id is None:
                    raise credentials_exception
                return user_id
            """,
            settings={"select": ("OWN402",)},
        ),
        Case(
            id="HTTPStatus member and a KeyError handler around payload['sub']",
            source="""
            from http import HTTPStatus

            import jwt
            from fastapi import HTTPException

            def get_current_user(token: str) -> str:
                payload = jwt.decode(token, KEY, algorithms=["HS256"])
                try:
                    return payload["sub"]
                except KeyError:
                    raise HTTPException(status_code=HTTPStatus.FORBIDDEN, detail="No subject")
            """,
            fixed="""
            from http import HTTPStatus

            import jwt
            from fastapi import HTTPException

            def get_current_user(token: str) -> str:
                payload = jwt.decode(token, KEY, algorithms=["HS256"])
                try:
                    return payload["sub"]
                except KeyError:
                    raise HTTPException(status_code=HTTPStatus.UNAUTHORIZED, detail="No subject", headers={"WWW-Authenticate": "Bearer"})
            """,
            settings={"select": ("OWN402",)},
        ),
        Case(
            id="status bound in another module: reported without a fix",
            source="""
            from jose import JWTError, jwt
            from errors import token_rejected

            def get_current_user(token: str) -> str:
                try:
                    return jwt.decode(token, KEY, algorithms=["HS256"])["sub"]
                except JWTError:
                    raise token_rejected
            """,
            files={
                "errors.py": """
                from fastapi import HTTPException

                token_rejected = HTTPException(status_code=403, detail="Invalid token")
                """,
            },
        ),
    )


def _token_rejections(ctx: ModuleContext, function: Function) -> Iterator[tuple[ast.Raise, str]]:
    """Each raise that rejects the token itself, once, with the failure it answers."""
    scope = TokenScope(ctx, function)
    seen: set[int] = set()
    for placed in placed_statements(function.body):
        for raise_node, failure in _rejections_in(ctx, scope, placed.statement):
            if id(raise_node) not in seen:
                seen.add(id(raise_node))
                yield raise_node, failure


def _rejections_in(
    ctx: ModuleContext, scope: TokenScope, statement: ast.stmt
) -> Iterator[tuple[ast.Raise, str]]:
    if isinstance(statement, TRY_STATEMENTS):
        for handler in statement.handlers:  # type: ignore[attr-defined]
            failure = _handler_failure(ctx, scope, statement, handler)  # type: ignore[arg-type]
            if failure is not None:
                yield from ((r, failure) for r in raises_in(handler.body))
    elif isinstance(statement, ast.If):
        missing = missing_test(statement.test, lambda e: scope.is_subject(e) or scope.is_payload(e))
        if missing is not None:
            branch = statement.body if missing else statement.orelse
            yield from ((r, _NO_SUBJECT) for r in raises_in(branch))


def _handler_failure(
    ctx: ModuleContext, scope: TokenScope, statement: ast.Try, handler: ast.ExceptHandler
) -> str | None:
    if catches_token_error(ctx, handler):
        names = caught(ctx, handler)
        expired = all(name.endswith("ExpiredSignatureError") for name in names)
        return _EXPIRED_TOKEN if expired else _INVALID_TOKEN
    if catches_any(ctx, handler, KEY_ERRORS | BROAD_EXCEPTIONS) and _reads_subject(scope, statement.body):
        return _NO_SUBJECT
    return None


def _reads_subject(scope: TokenScope, body: list[ast.stmt]) -> bool:
    return any(
        (read := claim_read(node, scope.is_payload)) is not None and read.by_subscript
        for statement in body
        for node in walk(statement)
    )


def _fix(ctx: ModuleContext, raised: RaisedException) -> FixPlan | None:
    status = raised.status_node
    if raised.module is not ctx.module or status is None:
        return None
    if is_http_status_member(ctx.index, ctx.module, status):
        code = f"{source_of(ctx, status.value)}.UNAUTHORIZED"  # type: ignore[attr-defined]
    else:
        code = status_code_expr(ctx, 401)
    actions: list[FixAction] = [ReplaceExpression(span_of(ctx.locator, status), code)]
    title = f"Use `{code}`"
    if not has_headers(raised.call):
        actions.append(AddKeywordArgument(span_of(ctx.locator, raised.call), "headers", BEARER_HEADERS))
        title += " and add the `WWW-Authenticate: Bearer` header"
    return FixPlan(title=title, actions=tuple(actions))
