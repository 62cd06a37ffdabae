"""OWN504 missing-subject-check."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from ..analysis.context import ModuleContext
from ..analysis.raises import own_nodes, raised_http_exception, raises_in
from ..analysis.tokens import (
    BROAD_EXCEPTIONS,
    KEY_ERRORS,
    SUBJECT_CLAIMS,
    ClaimRead,
    Function,
    Placed,
    TokenScope,
    catches_any,
    claim_read,
    is_auth_function,
    missing_test,
    module_functions,
    placed_statements,
)
from ..analysis.walk import walk
from ..fixes.actions import (
    FixAction,
    InsertStatementsAfter,
    ReplaceExpression,
    ReplaceStatement,
    span_of,
)
from ..fixes.auth_errors import raise_unauthorized, source_of
from ..rule import AUTH_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import DEPENDENCIES_PY

_FREE_NAMES = ("user_id", "subject", "token_subject")


@dataclass(frozen=True)
class _Finding:
    read: ClaimRead
    statement: ast.stmt
    target: str | None  # the variable it is assigned to; None for ``return payload.get("sub")``
    checked: bool  # a later ``if <target> is None: raise`` exists


class MissingSubjectCheck(Rule):
    """## What it does
    Checks auth dependencies (configured, detected, or any function that decodes a JWT) that
    read the token's subject claim (`sub`, `user_id`, `uid`, `username`) from the decoded
    payload and use it without rejecting a missing one:
    - `user_id = payload.get("sub")` followed by a use of `user_id` (returned, passed on,
      compared) with no `if user_id is None: raise ...` (or `if not user_id:`, or the `else` of
      `if user_id is not None:`) after it;
    - `user_id = payload["sub"]` outside a `try` whose `except KeyError` (or `LookupError`,
      `Exception`, bare) raises an `HTTPException`;
    - `return payload.get("sub")` / `return payload["sub"]`.

    The payload is a name bound to `jwt.decode(...)` (python-jose or PyJWT, also
    `get_unverified_claims`), to a call of a project function that decodes, or a parameter
    filled by a dependency that decodes.

    ## Why is this bad?
    A correctly signed token need not carry a subject (a service token, a refresh token, a token
    minted by another tool sharing the secret). With `.get("sub")` the dependency then returns
    `None` as the identity: routes compare `None` with the path user id, query
    `WHERE user_id IS NULL`, or create rows owned by nobody. With `payload["sub"]` the request
    dies with a `KeyError`: a 500 instead of the 401 the client can act on (RFC 9110, RFC 6750).
    RFC 7519 makes `sub` optional, so the application has to require it (OWASP API2:2023).

    ## Example
    ```python
    payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    user_id = payload.get("sub")
    return user_id
    ```

    ## Use instead
    ```python
    payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    user_id = payload.get("sub")
    if user_id is None:
        raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
    return user_id
    ```

    ## Fix safety
    The fix is safe: it inserts, right after the assignment,
    `if user_id is None: raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})`
    with the variable name of the code, the file's status style and the `HTTPException` import
    when missing (the header is the one RFC 6750 requires on a 401). `payload["sub"]` becomes
    `payload.get("sub")` so that the check can run; `return payload.get("sub")` becomes an
    assignment, the check and `return user_id`. Only requests whose token has no subject behave
    differently: they get 401 instead of passing `None` on or failing with 500.

    ## Options
    - `auth-dependencies`

    ## References
    - [OWASP API Security Top 10 2023, API2: Broken Authentication](https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/)
    - [RFC 7519, 4.1.2 "sub" (Subject) Claim](https://www.rfc-editor.org/rfc/rfc7519#section-4.1.2)
    - [RFC 8725, 3.10 Do Not Trust Received Claims](https://www.rfc-editor.org/rfc/rfc8725#section-3.10)
    - [RFC 6750, 3. The WWW-Authenticate Response Header Field](https://www.rfc-editor.org/rfc/rfc6750#section-3)
    - [RFC 9110, 15.5.2 401 Unauthorized](https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2)
    - [PyJWT: Usage examples (required claims)](https://pyjwt.readthedocs.io/en/stable/usage.html#requiring-presence-of-claims)
    - [python-jose: JWT API](https://python-jose.readthedocs.io/en/latest/jwt/api.html)
    - [FastAPI: Security - OAuth2 with Password (and hashing), Bearer with JWT tokens](https://fastapi.tiangolo.com/tutorial/security/oauth2-jwt/)
    """

    code = "OWN504"
    name = "missing-subject-check"
    cwe = (287,)
    security_severity = "6.5"
    markers = AUTH_MARKERS
    # Every finding reads a subject claim by its name, written in the file.
    requires = (tuple(sorted(claim.encode() for claim in SUBJECT_CLAIMS)),)
    summary = "Token subject used without rejecting a missing one"
    message_formats = (
        "`{name}` can be None (the token has no `{claim}` claim) and is used without a check",
        "`{read}` raises KeyError on a token without `{claim}`: the request answers 500",
    )
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for function, _owner in module_functions(ctx.module):
            if not is_auth_function(ctx, function):
                continue
            scope = TokenScope(ctx, function)
            for placed in placed_statements(function.body):
                finding = _finding(ctx, scope, placed)
                if finding is not None:
                    yield Violation(
                        node=finding.read.node,
                        message=_message(ctx, finding),
                        fix=_fix(ctx, function, finding),
                        noqa_node=finding.statement,
                    )

    VALID = (
        Case(id="the seed's dependency checks the subject", source=DEPENDENCIES_PY),
        Case(
            id="check with not and the tutorial's credentials_exception",
            source="""
            import jwt
            from fastapi import HTTPException

            def get_current_user(token: str) -> str:
                credentials_exception = HTTPException(status_code=401, detail="Could not validate credentials")
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                    username: str = payload.get("sub")
                    if not username:
                        raise credentials_exception
                except jwt.InvalidTokenError:
                    raise credentials_exception
                return username
            """,
        ),
        Case(
            id="payload['sub'] inside a try that maps KeyError to 401",
            source="""
            from fastapi import HTTPException
            from jose import JWTError, jwt

            def get_current_user(token: str) -> str:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                    user_id = payload["sub"]
                except (JWTError, KeyError):
                    raise HTTPException(status_code=401, detail="Invalid token")
                return user_id
            """,
        ),
        Case(
            id="else branch of an is-not-None test raises",
            source="""
            from fastapi import HTTPException
            from jose import jwt

            def get_current_user(token: str) -> str:
                payload = jwt.decode(token, KEY, algorithms=["HS256"])
                user_id = payload.get("sub")
                if user_id is not None:
                    return user_id
                else:
                    raise HTTPException(status_code=401, detail="Invalid token")
            """,
        ),
        Case(
            id="a default makes the read non-None; other claims are not the subject",
            source="""
            from jose import jwt

            def get_current_user(token: str) -> dict:
                payload = jwt.decode(token, KEY, algorithms=["HS256"])
                scopes = payload.get("scopes")
                role = payload.get("role", "member")
                return {"scopes": scopes, "role": role}
            """,
        ),
        Case(
            id="dict.get on something that is not a decoded token",
            source="""
            def parse(event: dict) -> str:
                user_id = event.get("sub")
                return user_id
            """,
        ),
    )

    INVALID = (
        Case(
            id="subject returned without a None check",
            source="""
            import os

            from fastapi import Depends, HTTPException
            from fastapi.security import OAuth2PasswordBearer
            from jose import JWTError, jwt

            oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


            async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
                try:
                    payload = jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
                    user_id: str = payload.get("sub")
                    return user_id
                except JWTError:
                    raise HTTPException(status_code=401, detail="Invalid token")
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
                    user_id: str = payload.get("sub")
                    if user_id is None:
                        raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
                    return user_id
                except JWTError:
                    raise HTTPException(status_code=401, detail="Invalid token")
            """,
            settings={"select": ("OWN504",)},
        ),
        Case(
            id="payload['sub'] outside a KeyError handler, file uses fastapi.status",
            source="""
            import jwt
            from fastapi import HTTPException, status

            def get_current_user(token: str) -> str:
                try:
                    claims = jwt.decode(token, KEY, algorithms=["HS256"])
                except jwt.PyJWTError:
                    raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED)
                subject = claims["sub"]
                return lookup(subject)
            """,
            fixed="""
            import jwt
            from fastapi import HTTPException, status

            def get_current_user(token: str) -> str:
                try:
                    claims = jwt.decode(token, KEY, algorithms=["HS256"])
                except jwt.PyJWTError:
                    raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED)
                subject = claims.get("sub")
                if subject is None:
                    raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
                return lookup(subject)
            """,
            settings={"select": ("OWN504",)},
        ),
        Case(
            id="subject returned directly",
            source="""
            from jose import JWTError, jwt

            def get_current_user(token: str) -> str:
                payload = jwt.decode(token, KEY, algorithms=["HS256"])
                return payload.get("sub")
            """,
            fixed="""
            from jose import JWTError, jwt
            from fastapi import HTTPException

            def get_current_user(token: str) -> str:
                payload = jwt.decode(token, KEY, algorithms=["HS256"])
                user_id = payload.get("sub")
                if user_id is None:
                    raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
                return user_id
            """,
            settings={"select": ("OWN504",)},
        ),
        Case(
            id="payload from a decoding dependency, None check that only logs",
            source="""
            import logging

            from fastapi import Depends, HTTPException
            from security import decode_token

            def get_current_user(payload: dict = Depends(decode_token)) -> str:
                user_id = payload.get("sub")
                if user_id is None:
                    logging.warning("token without sub")
                return user_id
            """,
            fixed="""
            import logging

            from fastapi import Depends, HTTPException
            from security import decode_token

            def get_current_user(payload: dict = Depends(decode_token)) -> str:
                user_id = payload.get("sub")
                if user_id is None:
                    raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
                if user_id is None:
                    logging.warning("token without sub")
                return user_id
            """,
            files={
                "security.py": """
                import os

                import jwt
                from fastapi import Header

                def decode_token(authorization: str = Header()) -> dict:
                    return jwt.decode(authorization, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
                """,
            },
            settings={"select": ("OWN504",)},
        ),
    )


def _finding(ctx: ModuleContext, scope: TokenScope, placed: Placed) -> _Finding | None:
    statement = placed.statement
    target, value = _assignment(statement)
    if value is None:
        return None
    read = claim_read(value, scope.is_payload)
    if read is None:
        return None
    if read.by_subscript and _key_error_mapped(ctx, scope.function, placed):
        return None
    if target is None:
        return _Finding(read, statement, None, False)
    checked = _rejects_missing(scope.function, target, statement)
    if read.by_subscript or (not checked and _used_after(scope.function, target, statement)):
        return _Finding(read, statement, target, checked)
    return None


def _assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    """(target, value) of ``x = value``/``x: T = value``; (None, value) of ``return value``."""
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target = statement.targets[0]
        return (target.id, statement.value) if isinstance(target, ast.Name) else (None, None)
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    if isinstance(statement, ast.Return):
        return None, statement.value
    return None, None


def _key_error_mapped(ctx: ModuleContext, function: Function, placed: Placed) -> bool:
    """An enclosing ``try`` turns the ``KeyError`` into an ``HTTPException``."""
    return any(
        catches_any(ctx, handler, KEY_ERRORS | BROAD_EXCEPTIONS)
        and any(raised_http_exception(ctx.index, ctx.module, function, r) for r in raises_in(handler.body))
        for statement in placed.tries
        for handler in statement.handlers
    )


def _rejects_missing(function: Function, name: str, after: ast.stmt) -> bool:
    def is_name(expr: ast.expr) -> bool:
        return isinstance(expr, ast.Name) and expr.id == name

    for node in own_nodes(function):
        if isinstance(node, ast.If) and node.lineno > after.lineno:
            missing = missing_test(node.test, is_name)
            branch = node.body if missing else node.orelse
            if missing is not None and any(True for _ in raises_in(branch)):
                return True
    return False


def _used_after(function: Function, name: str, after: ast.stmt) -> bool:
    return any(
        isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Load)
        and (node.lineno, node.col_offset) > (after.end_lineno or after.lineno, after.end_col_offset or 0)
        for node in own_nodes(function)
    )


def _message(ctx: ModuleContext, finding: _Finding) -> str:
    read, claim = finding.read, finding.read.claim
    if read.by_subscript:
        return f"`{source_of(ctx, read.node)}` raises KeyError on a token without `{claim}`: the request answers 500"
    name = finding.target or source_of(ctx, read.node)
    return f"`{name}` can be None (the token has no `{claim}` claim) and is used without a check"


def _fix(ctx: ModuleContext, function: Function, finding: _Finding) -> FixPlan:
    imports: list[FixAction] = []
    read = finding.read
    get = f"{source_of(ctx, read.payload)}.get({source_of(ctx, read.key)})"
    statement_span = span_of(ctx.locator, finding.statement)
    if finding.target is None:
        name = _free_name(function)
        guard = _guard(name, raise_unauthorized(ctx, imports))
        code = f"{name} = {get}\n{guard}return {name}\n"
        actions: list[FixAction] = [ReplaceStatement(statement_span, code)]
        return FixPlan(title=_title(read.claim, name), actions=(*actions, *imports))
    actions = []
    if read.by_subscript:
        actions.append(ReplaceExpression(span_of(ctx.locator, read.node), get))
    if not finding.checked:
        guard = _guard(finding.target, raise_unauthorized(ctx, imports))
        actions.append(InsertStatementsAfter(statement_span, guard))
    return FixPlan(title=_title(read.claim, finding.target), actions=(*actions, *imports))


def _title(claim: str, name: str) -> str:
    return f"Reject a token without `{claim}`: `if {name} is None: raise HTTPException(status_code=401)`"


def _guard(name: str, raise_statement: str) -> str:
    return f"if {name} is None:\n    {raise_statement}\n"


def _free_name(function: Function) -> str:
    used = {node.id for node in own_nodes(function) if isinstance(node, ast.Name)}
    used |= {arg.arg for arg in walk(function.args) if isinstance(arg, ast.arg)}
    return next((name for name in _FREE_NAMES if name not in used), "subject_claim")
