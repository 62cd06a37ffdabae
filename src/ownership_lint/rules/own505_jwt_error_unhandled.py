"""OWN505 jwt-error-unhandled."""

from __future__ import annotations

import ast
import enum
from collections.abc import Iterator
from dataclasses import dataclass

from ..analysis.context import ModuleContext
from ..analysis.raises import raised_http_exception, raises_in, status_value
from ..analysis.tokens import (
    Catch,
    Function,
    JwtCall,
    caught,
    header_nodes,
    is_route_or_dependency,
    jwt_call,
    library_catch,
    module_functions,
    placed_statements,
)
from ..fixes.actions import FixAction, ReplaceStatement, span_of
from ..fixes.auth_errors import (
    add_handler,
    raise_unauthorized,
    token_error_name,
    wrap_in_try,
)
from ..rule import TOKEN_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation
from ._common import DEPENDENCIES_PY

_WRAPPABLE = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return)


class _Gap(str, enum.Enum):
    UNCAUGHT = "uncaught"  # no handler for the library's errors (or a broad one without 401)
    PARTIAL = "partial"  # only some of them: ExpiredSignatureError, DecodeError...
    RERAISED = "reraised"  # caught, then raised again (or turned into a builtin exception)


@dataclass(frozen=True)
class _Unhandled:
    call: JwtCall
    statement: ast.stmt
    gap: _Gap
    handling: ast.Try | None = None  # the try with the partial or re-raising handler
    handler: ast.ExceptHandler | None = None


class JwtErrorUnhandled(Rule):
    """## What it does
    Checks routes and auth dependencies (functions FastAPI calls for a request: a route, or the
    target of a `Depends(...)`/`Security(...)` anywhere in the project) that call `jwt.decode`
    outside a `try` whose `except` catches the JWT library's errors and raises an
    `HTTPException`:
    - python-jose: `JWTError` (`jose.JWTError`, `jose.exceptions.JWTError`, `jwt.JWTError`);
    - PyJWT: `jwt.PyJWTError` or `jwt.InvalidTokenError` (also from `jwt.exceptions`);
    - `except Exception` (or `BaseException`, a bare `except`) counts only when it raises 401.

    A `try` that catches only part of the library's errors (`ExpiredSignatureError`,
    `DecodeError`, `InvalidSignatureError`) is reported: a garbage or forged token still escapes
    it. So is a handler that catches the error and raises it again (`raise`, `raise exc`, or a
    builtin exception). A handler that swallows the error and returns (an optional-auth
    dependency) is not: it does not answer 500. A handler that answers a status other than 401
    is OWN402's.

    Functions that are neither routes nor dependencies (scripts, CLI tools, helpers called from
    a dependency inside its `try`) are not checked: their caller decides what a bad token means.

    ## Why is this bad?
    Both libraries signal every bad token (expired, forged, malformed, wrong audience) with an
    exception. Uncaught, FastAPI turns it into `500 Internal Server Error`: the client is told
    the server is broken instead of being asked to log in again (RFC 9110 401, RFC 6750), error
    monitoring fills with attacker traffic, and the traceback may reach logs that are less
    protected than the token. It is broken authentication handling (OWASP API2:2023).

    ## Example
    ```python
    async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
        payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
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
    The fix is safe: it wraps the statement that decodes in
    `try: ... except <error>: raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})`
    — `JWTError` for python-jose (imported from `jose` when missing), `jwt.PyJWTError` through the
    module name PyJWT is already imported as, else `InvalidTokenError` imported from `jwt` — in
    the file's status style, importing `HTTPException` when missing. A `try` that catches only
    part of the errors gets that handler added after its own handlers instead, so its more
    specific answers (such as "Token expired") stay. Only requests with a bad token behave
    differently: 401 instead of 500. No fix is offered when the decode sits in a compound
    statement's header (`if jwt.decode(...)`), when the statement shares its line with another,
    or for a handler that re-raises (what it meant to do is unclear).

    ## Options
    - `auth-dependencies`

    ## References
    - [OWASP API Security Top 10 2023, API2: Broken Authentication](https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/)
    - [RFC 9110, 15.5.2 401 Unauthorized](https://www.rfc-editor.org/rfc/rfc9110#section-15.5.2)
    - [RFC 6750, 3.1 Error Codes (invalid_token)](https://www.rfc-editor.org/rfc/rfc6750#section-3.1)
    - [RFC 7519, 7.2 Validating a JWT](https://www.rfc-editor.org/rfc/rfc7519#section-7.2)
    - [RFC 8725: JSON Web Token Best Current Practices](https://www.rfc-editor.org/rfc/rfc8725)
    - [python-jose: JWT API (exceptions raised by decode)](https://python-jose.readthedocs.io/en/latest/jwt/api.html)
    - [PyJWT: Exceptions](https://pyjwt.readthedocs.io/en/stable/api.html#exceptions)
    - [FastAPI: Handling Errors](https://fastapi.tiangolo.com/tutorial/handling-errors/)
    """

    code = "OWN505"
    name = "jwt-error-unhandled"
    cwe = (755,)
    security_severity = "5.3"
    markers = TOKEN_MARKERS
    summary = "A bad token makes the JWT decode raise into a 500"
    message_formats = (
        "`{call}` raises on a bad token and nothing turns that into 401: the request answers 500",
        "The `try` around `{call}` catches only {caught}: other bad tokens answer 500",
        "The {caught} handler around `{call}` raises again: a bad token answers 500",
    )
    fix_availability = FixAvailability.SOMETIMES

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for function, _owner in module_functions(ctx.module):
            found = list(_unhandled(ctx, function))
            if not found or not is_route_or_dependency(ctx, function):
                continue
            for unhandled in found:
                yield Violation(
                    node=unhandled.call.node,
                    message=_message(ctx, unhandled),
                    fix=_fix(ctx, unhandled),
                    noqa_node=unhandled.statement,
                )

    VALID = (
        Case(
            id="the seed's dependency, used by a route",
            path="routes.py",
            source="""
            from fastapi import APIRouter, Depends
            from dependencies import get_current_user

            router = APIRouter()

            @router.get("/api/{user_id}/me")
            def me(user_id: str, current_user: str = Depends(get_current_user)):
                return {"id": current_user}
            """,
            files={"dependencies.py": DEPENDENCIES_PY},
        ),
        Case(
            id="except Exception that raises 401 counts",
            source="""
            import jwt
            from fastapi import Depends, FastAPI, HTTPException

            app = FastAPI()

            def get_current_user(token: str) -> str:
                try:
                    return jwt.decode(token, KEY, algorithms=["HS256"])["sub"]
                except Exception:
                    raise HTTPException(status_code=401, detail="Invalid token")

            @app.get("/me")
            def me(user: str = Depends(get_current_user)):
                return user
            """,
        ),
        Case(
            id="expired and invalid tokens handled separately",
            source="""
            import jwt
            from fastapi import Depends, FastAPI, HTTPException

            app = FastAPI()

            def get_current_user(token: str) -> str:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                except jwt.ExpiredSignatureError:
                    raise HTTPException(status_code=401, detail="Token expired")
                except jwt.InvalidTokenError:
                    raise HTTPException(status_code=401, detail="Invalid token")
                return payload["sub"]

            @app.get("/me")
            def me(user: str = Depends(get_current_user)):
                return user
            """,
        ),
        Case(
            id="a CLI script that decodes is not a route or dependency",
            source="""
            import sys

            import jwt

            def main() -> None:
                print(jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"]))

            if __name__ == "__main__":
                main()
            """,
        ),
        Case(
            id="a decoding function no route depends on",
            source="""
            from fastapi import Depends
            from jose import jwt

            def get_token_claims(token: str) -> dict:
                return jwt.decode(token, KEY, algorithms=["HS256"])
            """,
        ),
        Case(
            id="helper decoding inside the dependency's try",
            source="""
            from fastapi import Depends, FastAPI, HTTPException
            from jose import JWTError, jwt

            app = FastAPI()

            def decode_token(token: str) -> dict:
                return jwt.decode(token, KEY, algorithms=["HS256"])

            def get_current_user(token: str) -> str:
                try:
                    payload = decode_token(token)
                except JWTError:
                    raise HTTPException(status_code=401, detail="Invalid token")
                return payload["sub"]

            @app.get("/me")
            def me(user: str = Depends(get_current_user)):
                return user
            """,
        ),
        Case(
            id="optional auth returns None on a bad token",
            source="""
            from typing import Annotated, Optional

            from fastapi import Depends, FastAPI
            from jose import JWTError, jwt

            app = FastAPI()

            def get_optional_user(token: str) -> Optional[str]:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                except JWTError:
                    return None
                return payload.get("sub")

            MaybeUser = Annotated[Optional[str], Depends(get_optional_user)]

            @app.get("/greeting")
            def greeting(user: MaybeUser):
                return {"hello": user or "stranger"}
            """,
        ),
    )

    INVALID = (
        Case(
            id="python-jose decode outside a try in the auth dependency",
            source="""
            import os

            from fastapi import APIRouter, Depends, HTTPException
            from fastapi.security import OAuth2PasswordBearer
            from jose import jwt

            oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
            router = APIRouter()


            async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
                payload = jwt.decode(
                    token,
                    os.environ["BETTER_AUTH_SECRET"],  # shared with the frontend
                    algorithms=["HS256"],
                )
                user_id = payload.get("sub")
                if user_id is None:
                    raise HTTPException(status_code=401, detail="Invalid token")
                return user_id


            @router.get("/api/{user_id}/me")
            def me(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                return {"id": current_user}
            """,
            fixed="""
            import os

            from fastapi import APIRouter, Depends, HTTPException
            from fastapi.security import OAuth2PasswordBearer
            from jose import JWTError, jwt

            oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
            router = APIRouter()


            async def get_current_user(token: str = Depends(oauth2_scheme)) -> str:
                try:
                    payload = jwt.decode(
                        token,
                        os.environ["BETTER_AUTH_SECRET"],  # shared with the frontend
                        algorithms=["HS256"],
                    )
                except JWTError:
                    raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
                user_id = payload.get("sub")
                if user_id is None:
                    raise HTTPException(status_code=401, detail="Invalid token")
                return user_id


            @router.get("/api/{user_id}/me")
            def me(user_id: str, current_user: str = Depends(get_current_user)):
                if current_user != user_id:
                    raise HTTPException(status_code=403, detail="Not authorized to access this user's data")
                return {"id": current_user}
            """,
            settings={"select": ("OWN505",)},
        ),
        Case(
            id="PyJWT decode in a route handler, status style, module name reused",
            source="""
            import jwt as pyjwt
            from fastapi import FastAPI, Header, status

            app = FastAPI()


            @app.get("/api/me", status_code=status.HTTP_200_OK)
            def me(authorization: str = Header()):
                return {"sub": pyjwt.decode(authorization, KEY, algorithms=["HS256"])["sub"]}
            """,
            fixed="""
            import jwt as pyjwt
            from fastapi import FastAPI, Header, HTTPException, status

            app = FastAPI()


            @app.get("/api/me", status_code=status.HTTP_200_OK)
            def me(authorization: str = Header()):
                try:
                    return {"sub": pyjwt.decode(authorization, KEY, algorithms=["HS256"])["sub"]}
                except pyjwt.PyJWTError:
                    raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
            """,
            settings={"select": ("OWN505",)},
        ),
        Case(
            id="PyJWT decode imported by name, used through an Annotated alias",
            source="""
            from typing import Annotated

            from fastapi import Depends, FastAPI, HTTPException
            from jwt import decode

            app = FastAPI()

            def get_current_user(token: str) -> str:
                claims = decode(token, KEY, algorithms=["HS256"])
                return claims["sub"]

            CurrentUser = Annotated[str, Depends(get_current_user)]

            @app.get("/me")
            def me(user: CurrentUser):
                return user
            """,
            fixed="""
            from typing import Annotated

            from fastapi import Depends, FastAPI, HTTPException
            from jwt import InvalidTokenError, decode

            app = FastAPI()

            def get_current_user(token: str) -> str:
                try:
                    claims = decode(token, KEY, algorithms=["HS256"])
                except InvalidTokenError:
                    raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
                return claims["sub"]

            CurrentUser = Annotated[str, Depends(get_current_user)]

            @app.get("/me")
            def me(user: CurrentUser):
                return user
            """,
            settings={"select": ("OWN505",)},
        ),
        Case(
            id="dependency of a dependency, in another module",
            path="auth.py",
            source="""
            import jwt
            from fastapi import Header

            def decode_header(authorization: str = Header()) -> dict:
                return jwt.decode(authorization, KEY, algorithms=["HS256"])
            """,
            fixed="""
            import jwt
            from fastapi import Header, HTTPException

            def decode_header(authorization: str = Header()) -> dict:
                try:
                    return jwt.decode(authorization, KEY, algorithms=["HS256"])
                except jwt.PyJWTError:
                    raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
            """,
            files={
                "deps.py": """
                from fastapi import Depends
                from auth import decode_header

                def get_current_user(claims: dict = Depends(decode_header)) -> str:
                    return claims["sub"]
                """,
                "main.py": """
                from fastapi import Depends, FastAPI
                from deps import get_current_user

                app = FastAPI(dependencies=[Depends(get_current_user)])

                @app.get("/ping")
                def ping():
                    return "pong"
                """,
            },
            settings={"select": ("OWN505",)},
        ),
        Case(
            id="except Exception that answers 403 does not count",
            source="""
            from fastapi import Depends, FastAPI, HTTPException
            from jose import JWTError, jwt

            app = FastAPI()

            def get_current_user(token: str) -> str:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                    return payload["sub"]
                except Exception:
                    raise HTTPException(status_code=403, detail="Forbidden")

            @app.get("/me")
            def me(user: str = Depends(get_current_user)):
                return user
            """,
            fixed="""
            from fastapi import Depends, FastAPI, HTTPException
            from jose import JWTError, jwt

            app = FastAPI()

            def get_current_user(token: str) -> str:
                try:
                    try:
                        payload = jwt.decode(token, KEY, algorithms=["HS256"])
                    except JWTError:
                        raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
                    return payload["sub"]
                except Exception:
                    raise HTTPException(status_code=403, detail="Forbidden")

            @app.get("/me")
            def me(user: str = Depends(get_current_user)):
                return user
            """,
            settings={"select": ("OWN505",)},
        ),
        Case(
            id="only ExpiredSignatureError caught: the base error gets its own handler",
            source="""
            from fastapi import Depends, FastAPI, HTTPException
            from jose import ExpiredSignatureError, jwt

            app = FastAPI()

            def get_current_user(token: str) -> str:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                except ExpiredSignatureError:
                    raise HTTPException(status_code=401, detail="Token expired")
                return payload["sub"]

            @app.get("/me")
            def me(user: str = Depends(get_current_user)):
                return user
            """,
            fixed="""
            from fastapi import Depends, FastAPI, HTTPException
            from jose import ExpiredSignatureError, JWTError, jwt

            app = FastAPI()

            def get_current_user(token: str) -> str:
                try:
                    payload = jwt.decode(token, KEY, algorithms=["HS256"])
                except ExpiredSignatureError:
                    raise HTTPException(status_code=401, detail="Token expired")
                except JWTError:
                    raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})
                return payload["sub"]

            @app.get("/me")
            def me(user: str = Depends(get_current_user)):
                return user
            """,
            settings={"select": ("OWN505",)},
        ),
        Case(
            id="callable class instance used as a dependency",
            source="""
            import jwt
            from fastapi import Depends, FastAPI, HTTPException, Request

            class JWTBearer:
                async def __call__(self, request: Request) -> dict:
                    token = request.headers["Authorization"].removeprefix("Bearer ")
                    return jwt.decode(token, KEY, algorithms=["HS256"])

            auth = JWTBearer()
            app = FastAPI()

            @app.get("/me")
            def me(claims: dict = Depends(auth)):
                return claims
            """,
            fixed="""
            import jwt
            from fastapi import Depends, FastAPI, HTTPException, Request

            class JWTBearer:
                async def __call__(self, request: Request) -> dict:
                    token = request.headers["Authorization"].removeprefix("Bearer ")
                    try:
                        return jwt.decode(token, KEY, algorithms=["HS256"])
                    except jwt.PyJWTError:
                        raise HTTPException(status_code=401, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"})

            auth = JWTBearer()
            app = FastAPI()

            @app.get("/me")
            def me(claims: dict = Depends(auth)):
                return claims
            """,
            settings={"select": ("OWN505",)},
        ),
        Case(
            id="handler that re-raises: reported without a fix",
            source="""
            import logging

            from fastapi import Depends, FastAPI
            from jose import JWTError, jwt

            app = FastAPI()

            def get_current_user(token: str) -> str:
                try:
                    return jwt.decode(token, KEY, algorithms=["HS256"])["sub"]
                except JWTError:
                    logging.exception("bad token")
                    raise

            @app.get("/me")
            def me(user: str = Depends(get_current_user)):
                return user
            """,
        ),
    )


def _unhandled(ctx: ModuleContext, function: Function) -> Iterator[_Unhandled]:
    for placed in placed_statements(function.body):
        if isinstance(placed.statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in header_nodes(placed.statement):
            call = jwt_call(ctx, node)
            if call is not None and call.is_decode:
                found = _gap(ctx, function, placed.statement, placed.tries, call)
                if found is not None:
                    yield found


def _gap(
    ctx: ModuleContext, function: Function, statement: ast.stmt, tries: tuple[ast.Try, ...], call: JwtCall
) -> _Unhandled | None:
    """How a bad token escapes the enclosing ``try`` statements, innermost first (None: it does not)."""
    partial: ast.Try | None = None
    reraised: tuple[ast.Try, ast.ExceptHandler] | None = None
    for handling in reversed(tries):
        for handler in handling.handlers:
            catch = library_catch(ctx, handler, call.library)
            if catch is Catch.ALL and not _raises_again(ctx, handler):
                return None
            if catch is Catch.BROAD and _raises_unauthorized(ctx, function, handler):
                return None
            if catch is Catch.ALL and reraised is None:
                reraised = (handling, handler)
            if catch is Catch.PARTIAL and partial is None:
                partial = handling
    if reraised is not None:
        return _Unhandled(call, statement, _Gap.RERAISED, *reraised)
    if partial is not None:
        return _Unhandled(call, statement, _Gap.PARTIAL, partial)
    return _Unhandled(call, statement, _Gap.UNCAUGHT)


def _raises_again(ctx: ModuleContext, handler: ast.ExceptHandler) -> bool:
    """The handler raises, and every raise re-raises the error or a builtin exception."""
    raised = list(raises_in(handler.body))
    return bool(raised) and not any(_rejects(ctx, handler, r) for r in raised)


def _rejects(ctx: ModuleContext, handler: ast.ExceptHandler, raise_node: ast.Raise) -> bool:
    exc = raise_node.exc
    if exc is None or (isinstance(exc, ast.Name) and exc.id == handler.name):
        return False
    thrown = exc.func if isinstance(exc, ast.Call) else exc
    return not (ctx.index.qualname(ctx.module, thrown) or "").startswith("builtins.")


def _raises_unauthorized(ctx: ModuleContext, function: Function, handler: ast.ExceptHandler) -> bool:
    for raise_node in raises_in(handler.body):
        raised = raised_http_exception(ctx.index, ctx.module, function, raise_node)
        if raised is not None and status_value(ctx.index, raised.module, raised.status_node) == 401:
            return True
    return False


def _message(ctx: ModuleContext, unhandled: _Unhandled) -> str:
    written = unhandled.call.written
    if unhandled.gap is _Gap.UNCAUGHT:
        return f"`{written}` raises on a bad token and nothing turns that into 401: the request answers 500"
    if unhandled.gap is _Gap.PARTIAL:
        names = _caught_names(ctx, unhandled.handling.handlers)  # type: ignore[union-attr]
        return f"The `try` around `{written}` catches only {names}: other bad tokens answer 500"
    names = _caught_names(ctx, [unhandled.handler])  # type: ignore[list-item]
    return f"The {names} handler around `{written}` raises again: a bad token answers 500"


def _caught_names(ctx: ModuleContext, handlers: list[ast.ExceptHandler]) -> str:
    names = [name.rsplit(".", 1)[-1] for handler in handlers for name in caught(ctx, handler) if name]
    return ", ".join(f"`{name}`" for name in dict.fromkeys(names))


def _fix(ctx: ModuleContext, unhandled: _Unhandled) -> FixPlan | None:
    if unhandled.gap is _Gap.RERAISED:
        return None
    imports: list[FixAction] = []
    error = token_error_name(ctx, unhandled.call, imports)
    handler = raise_unauthorized(ctx, imports)
    if unhandled.gap is _Gap.PARTIAL:
        target: ast.stmt = unhandled.handling  # type: ignore[assignment]
        code = add_handler(ctx, unhandled.handling, error, handler)  # type: ignore[arg-type]
        title = f"Add `except {error}: raise HTTPException(status_code=401)` to the `try`"
    else:
        target = unhandled.statement
        code = wrap_in_try(ctx, target, error, handler) if isinstance(target, _WRAPPABLE) else None
        title = f"Wrap the decode in `try`/`except {error}: raise HTTPException(status_code=401)`"
    if code is None:
        return None
    return FixPlan(title=title, actions=(ReplaceStatement(span_of(ctx.locator, target), code), *imports))
