"""OWN503 hardcoded-jwt-secret."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..analysis.context import ModuleContext
from ..analysis.project import ClassSymbol, FunctionSymbol, Module, Symbol
from ..analysis.tokens import (
    Function,
    JwtCall,
    binding_values,
    disabled_checks,
    jwt_calls,
)
from ..diagnostics import Applicability
from ..fixes.actions import FixAction, ReplaceExpression, span_of
from ..fixes.auth_errors import environ_lookup, source_of
from ..fixes.guards import quote
from ..rule import TOKEN_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation

_ENV_LOOKUPS = frozenset({"os.getenv", "os.environ.get"})
_FIELD_FUNCTIONS = frozenset({"pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field"})
_UNWRAPPED_METHODS = frozenset({"encode", "get_secret_value"})
_MAX_DEPTH = 8
_LITERAL = "is a string literal"


@dataclass(frozen=True)
class Hardcoded:
    """Where the secret's literal is written, and how it gets to the call."""

    how: str  # "is a string literal", "falls back to a string literal"...
    node: ast.expr  # the literal, or the env lookup that falls back to one
    module: Module
    env_name: ast.expr | None = None  # the variable name of an env lookup with a fallback


class HardcodedJwtSecret(Rule):
    """## What it does
    Checks for JWT keys written into the code: the key passed to `jwt.decode`/`jwt.encode`
    (python-jose or PyJWT; the second positional argument or `key=`) is
    - a string literal (`jwt.encode(claims, "secret")`);
    - a module constant bound to one (`SECRET_KEY = "changeme"`, also imported from another
      module of the project), or a local variable bound to one;
    - an environment lookup with a literal fallback (`os.getenv("X", "dev")`,
      `os.environ.get("X", "dev")`, `os.getenv("X") or "dev"`);
    - a settings field with a literal default, read from an instance of the class
      (`settings.SECRET_KEY` where `class Settings(BaseSettings): SECRET_KEY: str = "changeme"`,
      `get_settings().SECRET_KEY`, `Field("changeme")`, `.get_secret_value()` of a `SecretStr`).

    A key read with `os.environ["X"]`, `os.getenv("X")` without a fallback, a settings field
    without a default, a file, or a parameter is not reported. A decode that does not verify the
    signature is OWN502's: its key does not matter.

    ## Why is this bad?
    Whoever reads the repository, an image layer or a leaked wheel can sign tokens for any user
    id: every account is compromised at once (OWASP API2:2023). A fallback is as bad as a
    literal: a deployment that forgets the variable silently runs with the well-known default
    instead of failing to start. RFC 8725 (section 3.5) requires HMAC keys with enough entropy,
    which a literal in source code does not have once it is published.

    ## Example
    ```python
    SECRET_KEY = os.getenv("BETTER_AUTH_SECRET", "dev-secret")

    payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    ```

    ## Use instead
    ```python
    SECRET_KEY = os.environ["BETTER_AUTH_SECRET"]

    payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    ```

    ## Fix safety
    The fix is unsafe: the application then refuses to start (or to verify) until the variable
    is set, and tokens signed with the old literal stop verifying. It replaces the literal where
    it is written when that is in the same file: a literal or constant becomes
    `os.environ["BETTER_AUTH_SECRET"]` (the `secret-env-var` setting), an environment lookup with
    a fallback keeps its own variable name (`os.getenv("JWT_SECRET", "dev")` becomes
    `os.environ["JWT_SECRET"]`), so the encode and decode sides keep reading the same value.
    When the literal lives in another file (a settings module) the key argument of the call is
    replaced instead; check that the issuer of the tokens reads the same variable. `import os`
    is added when missing.

    ## Options
    - `secret-env-var`

    ## References
    - [OWASP API Security Top 10 2023, API2: Broken Authentication](https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/)
    - [RFC 8725: JSON Web Token Best Current Practices, 3.5 Ensure Cryptographic Keys Have Sufficient Entropy](https://www.rfc-editor.org/rfc/rfc8725#section-3.5)
    - [RFC 7519: JSON Web Token](https://www.rfc-editor.org/rfc/rfc7519)
    - [RFC 6750, 5.1 Security Threats (token manufacture and modification)](https://www.rfc-editor.org/rfc/rfc6750#section-5.1)
    - [PyJWT: API reference](https://pyjwt.readthedocs.io/en/stable/api.html)
    - [python-jose: JWT API](https://python-jose.readthedocs.io/en/latest/jwt/api.html)
    - [FastAPI: Settings and Environment Variables](https://fastapi.tiangolo.com/advanced/settings/)
    """

    code = "OWN503"
    name = "hardcoded-jwt-secret"
    cwe = (798,)
    security_severity = "7.5"
    markers = TOKEN_MARKERS
    summary = "JWT key is written in the code"
    message_formats = ("The key passed to `{call}` {how}",)
    fix_availability = FixAvailability.ALWAYS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for call, function in jwt_calls(ctx):
            key = call.argument("key")
            if key is None or not _key_matters(ctx, function, call):
                continue
            found = _hardcoded(ctx, ctx.module, function, key, 0)
            if found is not None:
                yield Violation(
                    node=key,
                    message=f"The key passed to `{call.written}` {found.how}",
                    fix=_fix(ctx, key, found),
                    noqa_node=call.node,
                )

    VALID = (
        Case(
            id="the seed's key from os.environ",
            source="""
            import os
            from jose import jwt

            def decode(token: str) -> dict:
                return jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
            """,
        ),
        Case(
            id="os.getenv without a fallback",
            source="""
            import os
            import jwt

            SECRET_KEY = os.getenv("BETTER_AUTH_SECRET")

            def mint(claims: dict) -> str:
                return jwt.encode(claims, SECRET_KEY, algorithm="HS256")
            """,
        ),
        Case(
            id="pydantic-settings field without a default",
            source="""
            import jwt
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                secret_key: str
                algorithm: str = "HS256"

            settings = Settings()

            def decode(token: str) -> dict:
                return jwt.decode(token, settings.secret_key, algorithms=[settings.algorithm])
            """,
        ),
        Case(
            id="key read from a file",
            source="""
            from pathlib import Path
            import jwt

            PUBLIC_KEY = Path("keys/public.pem").read_text()

            def decode(token: str) -> dict:
                return jwt.decode(token, PUBLIC_KEY, algorithms=["RS256"])
            """,
        ),
        Case(
            id="key passed in by the caller",
            source="""
            from jose import jwt

            def mint(claims: dict, secret: str) -> str:
                return jwt.encode(claims, secret, algorithm="HS256")
            """,
        ),
        Case(
            id="empty key of an unverified peek is OWN502's",
            source="""
            import jwt

            def peek(token: str) -> dict:
                return jwt.decode(token, "", options={"verify_signature": False})
            """,
        ),
    )

    INVALID = (
        Case(
            id="literal key at the call",
            source="""
            import jwt

            def mint(claims: dict) -> str:
                return jwt.encode(claims, "super-secret", algorithm="HS256")
            """,
            fixed="""
            import jwt
            import os

            def mint(claims: dict) -> str:
                return jwt.encode(claims, os.environ["BETTER_AUTH_SECRET"], algorithm="HS256")
            """,
            settings={"select": ("OWN503",)},
        ),
        Case(
            id="module constant bound to a literal, used by encode and decode",
            source="""
            import os
            from jose import jwt

            SECRET_KEY = "changeme"


            def mint(claims: dict) -> str:
                return jwt.encode(claims, SECRET_KEY, algorithm="HS256")


            def decode(token: str) -> dict:
                return jwt.decode(token, key=SECRET_KEY, algorithms=["HS256"])
            """,
            fixed="""
            import os
            from jose import jwt

            SECRET_KEY = os.environ["BETTER_AUTH_SECRET"]


            def mint(claims: dict) -> str:
                return jwt.encode(claims, SECRET_KEY, algorithm="HS256")


            def decode(token: str) -> dict:
                return jwt.decode(token, key=SECRET_KEY, algorithms=["HS256"])
            """,
            settings={"select": ("OWN503",)},
        ),
        Case(
            id="os.getenv with a literal fallback keeps its variable name",
            source="""
            from os import getenv
            from jose import jwt

            SECRET_KEY = getenv("JWT_SECRET", "dev")

            def decode(token: str) -> dict:
                return jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
            """,
            fixed="""
            from os import getenv
            from jose import jwt
            import os

            SECRET_KEY = os.environ["JWT_SECRET"]

            def decode(token: str) -> dict:
                return jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
            """,
            settings={"select": ("OWN503",)},
        ),
        Case(
            id="os.environ.get fallback inline, custom secret-env-var unused",
            source="""
            import os
            import jwt

            def decode(token: str) -> dict:
                return jwt.decode(token, os.environ.get("APP_SECRET", "dev"), algorithms=["HS256"])
            """,
            fixed="""
            import os
            import jwt

            def decode(token: str) -> dict:
                return jwt.decode(token, os.environ["APP_SECRET"], algorithms=["HS256"])
            """,
            settings={"select": ("OWN503",), "secret_env_var": "JWT_KEY"},
        ),
        Case(
            id="settings field with a literal default in another module",
            source="""
            import jwt
            from config import settings

            def decode(token: str) -> dict:
                return jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])
            """,
            fixed="""
            import jwt
            from config import settings
            import os

            def decode(token: str) -> dict:
                return jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
            """,
            files={
                "config.py": """
                from pydantic_settings import BaseSettings

                class Settings(BaseSettings):
                    SECRET_KEY: str = "changeme"
                    ALGORITHM: str = "HS256"

                settings = Settings()
                """,
            },
            settings={"select": ("OWN503",)},
        ),
        Case(
            id="SecretStr field through an lru_cache get_settings()",
            source="""
            from functools import lru_cache

            from jose import jwt
            from pydantic import Field, SecretStr
            from pydantic_settings import BaseSettings


            class Settings(BaseSettings):
                jwt_secret: SecretStr = Field(default="insecure")


            @lru_cache
            def get_settings() -> Settings:
                return Settings()


            def mint(claims: dict) -> str:
                secret = get_settings().jwt_secret.get_secret_value()
                return jwt.encode(claims, secret, algorithm="HS256")
            """,
            fixed="""
            from functools import lru_cache

            from jose import jwt
            from pydantic import Field, SecretStr
            from pydantic_settings import BaseSettings
            import os


            class Settings(BaseSettings):
                jwt_secret: SecretStr = Field(default=os.environ["BETTER_AUTH_SECRET"])


            @lru_cache
            def get_settings() -> Settings:
                return Settings()


            def mint(claims: dict) -> str:
                secret = get_settings().jwt_secret.get_secret_value()
                return jwt.encode(claims, secret, algorithm="HS256")
            """,
            settings={"select": ("OWN503",)},
        ),
        Case(
            id="getenv() or a literal",
            source="""
            import os
            from jose import jwt

            def decode(token: str) -> dict:
                secret = os.getenv("BETTER_AUTH_SECRET") or "dev"
                return jwt.decode(token, secret, algorithms=["HS256"])
            """,
            fixed="""
            import os
            from jose import jwt

            def decode(token: str) -> dict:
                secret = os.environ["BETTER_AUTH_SECRET"]
                return jwt.decode(token, secret, algorithms=["HS256"])
            """,
            settings={"select": ("OWN503",)},
        ),
    )


def _key_matters(ctx: ModuleContext, function: Function | None, call: JwtCall) -> bool:
    return not any(
        check.option in ("verify_signature", "verify") for check in disabled_checks(ctx, function, call)
    )


def _fix(ctx: ModuleContext, key: ast.expr, found: Hardcoded) -> FixPlan:
    imports: list[FixAction] = []
    if found.module is ctx.module and found.env_name is not None:
        target, name = found.node, source_of(ctx, found.env_name)
    elif found.module is ctx.module:
        target, name = found.node, quote(ctx.settings.secret_env_var)
    else:
        target, name = key, quote(ctx.settings.secret_env_var)
    code = environ_lookup(ctx, name, imports)
    return FixPlan(
        title=f"Read the key from `{code}`",
        actions=(ReplaceExpression(span_of(ctx.locator, target), code), *imports),
        applicability=Applicability.UNSAFE,
    )


def _hardcoded(
    ctx: ModuleContext, module: Module, function: Function | None, expr: ast.expr, depth: int
) -> Hardcoded | None:
    if depth > _MAX_DEPTH:
        return None
    expr = _unwrapped(expr)
    if _is_literal(expr):
        return Hardcoded(_LITERAL, expr, module)
    if isinstance(expr, (ast.Call, ast.BoolOp)):
        return _env_fallback(ctx, module, expr)
    if not isinstance(expr, (ast.Name, ast.Attribute)):
        return None
    for value_module, value, scope in binding_values(ctx, function, expr, module):
        found = _hardcoded(ctx, value_module, scope, value, depth + 1)
        if found is not None:
            return _through(expr, found)
    if isinstance(expr, ast.Attribute):
        return _settings_field(ctx, module, function, expr, depth)
    return None


def _through(expr: ast.expr, found: Hardcoded) -> Hardcoded:
    """Name the variable the literal reached the call through (the innermost name stays)."""
    if found.how.startswith("is `"):
        return found
    bound = "bound to a string literal" if found.how == _LITERAL else f"which {found.how}"
    return replace(found, how=f"is `{ast.unparse(expr)}`, {bound}")


def _unwrapped(expr: ast.expr) -> ast.expr:
    """``"s".encode()``, ``secret.get_secret_value()`` are the value they are called on."""
    while (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr in _UNWRAPPED_METHODS
        and len(expr.args) <= 1
    ):
        expr = expr.func.value
    return expr


def _is_literal(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and isinstance(expr.value, (str, bytes))


def _env_fallback(ctx: ModuleContext, module: Module, expr: ast.expr) -> Hardcoded | None:
    """``os.getenv("X", "dev")``, ``os.environ.get("X", "dev")``, ``os.getenv("X") or "dev"``."""
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or) and _is_literal(expr.values[-1]):
        lookups = [v for v in expr.values[:-1] if _env_lookup(ctx, module, v)]
        if lookups and lookups[0].args:  # type: ignore[attr-defined]
            return Hardcoded("falls back to a string literal", expr, module, lookups[0].args[0])  # type: ignore[attr-defined]
        return None
    if not (_env_lookup(ctx, module, expr) and expr.args):  # type: ignore[attr-defined]
        return None
    call: ast.Call = expr  # type: ignore[assignment]
    default = call.args[1] if len(call.args) > 1 else next(
        (k.value for k in call.keywords if k.arg in ("default", "failobj")), None
    )
    if _is_literal(default):
        return Hardcoded("falls back to a string literal", call, module, call.args[0])
    return None


def _env_lookup(ctx: ModuleContext, module: Module, expr: ast.expr) -> bool:
    return isinstance(expr, ast.Call) and ctx.index.qualname(module, expr.func) in _ENV_LOOKUPS


def _settings_field(
    ctx: ModuleContext, module: Module, function: Function | None, expr: ast.Attribute, depth: int
) -> Hardcoded | None:
    """``settings.SECRET_KEY``: the default of the field on the instance's class."""
    instance = _instance_of(ctx, module, function, expr.value)
    if instance is None:
        return None
    cls, construction = instance
    if construction is not None:
        for keyword in construction.keywords:
            if keyword.arg == expr.attr:
                return _hardcoded(ctx, module, function, keyword.value, depth + 1)
    for owner in _class_chain(ctx, cls):
        default = _field_default(ctx, owner, expr.attr)
        if default is not None:
            found = _hardcoded(ctx, owner.module, None, default, depth + 1)
            if found is not None:
                how = f"is `{ast.unparse(expr)}`, whose field `{owner.node.name}.{expr.attr}` defaults to a string literal"
                return Hardcoded(how, found.node, found.module, found.env_name)
    return None


def _instance_of(
    ctx: ModuleContext, module: Module, function: Function | None, expr: ast.expr
) -> tuple[ClassSymbol, ast.Call | None] | None:
    """The class ``expr`` is an instance of (or is), and the call that built it if known."""
    if isinstance(expr, ast.Call):
        made = _class_made_by(ctx, module, expr.func)
        return (made, expr) if made is not None else None
    symbol = ctx.index.resolve(module, expr)
    if isinstance(symbol, ClassSymbol):
        return symbol, None
    for value_module, value, scope in binding_values(ctx, function, expr, module):
        if isinstance(value, ast.Call):
            found = _instance_of(ctx, value_module, scope, value)
            if found is not None:
                return found
    return None


def _class_made_by(ctx: ModuleContext, module: Module, func: ast.expr) -> ClassSymbol | None:
    """``Settings()`` or ``get_settings()`` whose return annotation is the class."""
    symbol: Symbol | None = ctx.index.resolve(module, func)
    if isinstance(symbol, FunctionSymbol) and symbol.node.returns is not None:
        symbol = ctx.index.resolve(symbol.module, symbol.node.returns)
    return symbol if isinstance(symbol, ClassSymbol) else None


def _class_chain(ctx: ModuleContext, cls: ClassSymbol) -> list[ClassSymbol]:
    ancestors = ctx.analysis.models.ancestors(cls)
    return [cls, *(a for a in ancestors if isinstance(a, ClassSymbol))]


def _field_default(ctx: ModuleContext, cls: ClassSymbol, name: str) -> ast.expr | None:
    for statement in cls.node.body:
        value = None
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            value = statement.value if statement.target.id == name else None
        elif isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in statement.targets
        ):
            value = statement.value
        if value is not None:
            return _field_argument(ctx, cls.module, value)
    return None


def _field_argument(ctx: ModuleContext, module: Module, value: ast.expr) -> ast.expr | None:
    """``Field("x")``/``Field(default="x")`` hold their default; other values are the default."""
    if isinstance(value, ast.Call) and ctx.index.qualname(module, value.func) in _FIELD_FUNCTIONS:
        if value.args:
            return value.args[0]
        return next((k.value for k in value.keywords if k.arg == "default"), None)
    return value
