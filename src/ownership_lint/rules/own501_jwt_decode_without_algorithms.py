"""OWN501 jwt-decode-without-algorithms."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from ..analysis.context import ModuleContext
from ..analysis.tokens import (
    Function,
    JwtCall,
    binding_values,
    disabled_checks,
    jwt_calls,
)
from ..fixes.actions import AddKeywordArgument, ReplaceExpression, span_of
from ..fixes.guards import quote
from ..rule import TOKEN_MARKERS, Case, FixAvailability, FixPlan, Rule, Violation

# python-jose's ``ALGORITHMS`` groups, by attribute name.
_HMAC = ("HS256", "HS384", "HS512")
_RSA = ("RS256", "RS384", "RS512")
_EC = ("ES256", "ES384", "ES512")
_JOSE_GROUPS = {
    "HMAC": _HMAC,
    "RSA_DS": _RSA,
    "RSA": _RSA,
    "EC_DS": _EC,
    "EC": _EC,
    "SUPPORTED": (*_HMAC, *_RSA, *_EC),
    "ALL": (*_HMAC, *_RSA, *_EC, "none"),
    "NONE": ("none",),
}
_ASYMMETRIC_PREFIXES = ("RS", "ES", "PS", "ED")
_MAX_DEPTH = 4


class JwtDecodeWithoutAlgorithms(Rule):
    """## What it does
    Checks for `jwt.decode(...)` calls (python-jose or PyJWT, however imported: `from jose
    import jwt`, `import jose.jwt`, `from jose.jwt import decode`, `import jwt`,
    `from jwt import decode`, aliases) that do not pin the accepted algorithms: no
    `algorithms=` argument (or `algorithms=None`), an allow-list containing `"none"`, or an
    allow-list that mixes symmetric (`HS*`) and asymmetric (`RS*`, `ES*`, `PS*`, `EdDSA`)
    algorithms.

    ## Why is this bad?
    A JWT names its own algorithm in its `alg` header; only the server's allow-list stops an
    attacker from choosing it (RFC 8725, section 3.1). Without one, python-jose verifies with
    whatever the token asks for; `"none"` accepts unsigned tokens; and a list that mixes `HS256`
    with `RS256` allows *algorithm confusion*: a token signed with HMAC using the server's RSA
    *public* key verifies. PyJWT 2 refuses to decode without `algorithms=`, so there the call
    rejects every token, valid ones included. Either way authentication is broken (OWASP API2:2023).

    Allow-lists that are not literals are followed when they are module constants
    (`ALGORITHM = "HS256"`, `algorithms=[ALGORITHM]`, python-jose's `ALGORITHMS.HS256` and its
    groups such as `ALGORITHMS.SUPPORTED`); anything else (`settings.ALGORITHM`, a function
    parameter) is unknown and not reported. A decode that switches signature verification off is
    reported by OWN502 instead: no allow-list can make it safe.

    ## Example
    ```python
    payload = jwt.decode(token, SECRET_KEY)
    ```

    ## Use instead
    ```python
    payload = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    ```

    ## Fix safety
    The fix adds `algorithms=["HS256"]` (the `jwt-algorithms` setting) when the call gives no
    algorithms at all; it is safe for the shared-secret (`HS256`) tokens of the canonical auth
    dependency. A project that signs with RSA or EC keys sets `jwt-algorithms` first. Allow-lists
    that contain `"none"` or mix families are reported without a fix: which algorithm the issuer
    really uses is a decision the linter cannot make.

    ## Options
    - `jwt-algorithms`

    ## References
    - [OWASP API Security Top 10 2023, API2: Broken Authentication](https://owasp.org/API-Security/editions/2023/en/0xa2-broken-authentication/)
    - [RFC 8725: JSON Web Token Best Current Practices, 3.1 Perform Algorithm Verification](https://www.rfc-editor.org/rfc/rfc8725#section-3.1)
    - [RFC 7519: JSON Web Token](https://www.rfc-editor.org/rfc/rfc7519)
    - [RFC 6750, 5.1 Security Threats (token manufacture and modification)](https://www.rfc-editor.org/rfc/rfc6750#section-5.1)
    - [PyJWT: Usage examples](https://pyjwt.readthedocs.io/en/stable/usage.html)
    - [python-jose: JWT API](https://python-jose.readthedocs.io/en/latest/jwt/api.html)
    """

    code = "OWN501"
    name = "jwt-decode-without-algorithms"
    cwe = (327, 347)
    security_severity = "7.4"
    summary = "JWT decoded without a safe algorithm allow-list"
    message_formats = (
        "`{call}` is called without `algorithms=`: the token's own `alg` header is not pinned",
        "`{call}` accepts the `none` algorithm: unsigned tokens verify",
        "`{call}` mixes symmetric ({symmetric}) and asymmetric ({asymmetric}) algorithms: "
        "algorithm confusion lets a public key verify a forged HMAC token",
    )
    fix_availability = FixAvailability.SOMETIMES
    markers = TOKEN_MARKERS

    def check(self, ctx: ModuleContext) -> Iterator[Violation]:
        for call, function in jwt_calls(ctx):
            if not call.is_decode or call.unpacks or _signature_unchecked(ctx, function, call):
                continue
            algorithms = call.argument("algorithms")
            if algorithms is None or _is_none(algorithms):
                yield _missing(ctx, call, algorithms)
                continue
            message = _unsafe_list(call, _algorithm_names(ctx, function, algorithms))
            if message is not None:
                yield Violation(node=algorithms, message=message, noqa_node=call.node)

    VALID = (
        Case(
            id="the seed's decode pins HS256",
            source="""
            from jose import jwt

            def decode(token: str, secret: str) -> dict:
                return jwt.decode(token, secret, algorithms=["HS256"])
            """,
        ),
        Case(
            id="algorithms from settings are unknown, not reported",
            source="""
            import jwt
            from config import settings

            def decode(token: str) -> dict:
                return jwt.decode(token, settings.SECRET_KEY, algorithms=[settings.ALGORITHM])
            """,
        ),
        Case(
            id="algorithms bound to a name that is not a literal",
            source="""
            from jose import jwt
            from config import ALGORITHMS

            def decode(token: str, key: str) -> dict:
                return jwt.decode(token, key, algorithms=ALGORITHMS)
            """,
        ),
        Case(
            id="module constant holding one algorithm",
            source="""
            from jose import jwt

            ALGORITHM = "HS256"

            def decode(token: str, key: str) -> dict:
                return jwt.decode(token, key, algorithms=[ALGORITHM])
            """,
        ),
        Case(
            id="asymmetric family only",
            source="""
            import jwt

            def decode(token: str, public_key: str) -> dict:
                return jwt.decode(token, public_key, algorithms=["RS256", "ES256", "EdDSA"])
            """,
        ),
        Case(
            id="python-jose ALGORITHMS.HMAC group",
            source="""
            from jose import jwt
            from jose.constants import ALGORITHMS

            def decode(token: str, key: str) -> dict:
                return jwt.decode(token, key, algorithms=ALGORITHMS.HMAC)
            """,
        ),
        Case(
            id="bytes.decode and base64 decode are not JWT decodes",
            source="""
            import base64

            def read(raw: bytes, token: str) -> str:
                text = raw.decode()
                return base64.b64decode(token).decode("utf-8") + text
            """,
        ),
        Case(
            id="a project module called jwt is not PyJWT",
            source="""
            from myapp import jwt

            def decode(token: str) -> dict:
                return jwt.decode(token)
            """,
            files={"myapp/__init__.py": "", "myapp/jwt.py": "def decode(token):\n    return {}\n"},
        ),
        Case(
            id="signature verification off is OWN502's",
            source="""
            import jwt

            def peek(token: str) -> dict:
                return jwt.decode(token, options={"verify_signature": False})
            """,
        ),
        Case(
            id="jwt.encode takes one algorithm, not an allow-list",
            source="""
            import jwt

            def mint(claims: dict, key: str) -> str:
                return jwt.encode(claims, key)
            """,
        ),
    )

    INVALID = (
        Case(
            id="python-jose decode without algorithms",
            source="""
            from jose import jwt

            def decode(token: str, secret: str) -> dict:
                return jwt.decode(token, secret)
            """,
            fixed="""
            from jose import jwt

            def decode(token: str, secret: str) -> dict:
                return jwt.decode(token, secret, algorithms=["HS256"])
            """,
            settings={"select": ("OWN501",)},
        ),
        Case(
            id="PyJWT decode imported by name and aliased, multi-line call",
            source="""
            from jwt import decode as jwt_decode

            def claims(token: str, secret: str) -> dict:
                return jwt_decode(
                    token,
                    secret,
                    audience="api",
                )
            """,
            fixed="""
            from jwt import decode as jwt_decode

            def claims(token: str, secret: str) -> dict:
                return jwt_decode(
                    token,
                    secret,
                    audience="api",
                    algorithms=["HS256"],
                )
            """,
            settings={"select": ("OWN501",)},
        ),
        Case(
            id="import jose.jwt, algorithms=None, configured algorithms",
            source="""
            import jose.jwt

            def decode(token: str, key: str) -> dict:
                return jose.jwt.decode(token, key, algorithms=None)
            """,
            fixed="""
            import jose.jwt

            def decode(token: str, key: str) -> dict:
                return jose.jwt.decode(token, key, algorithms=["HS384", "HS512"])
            """,
            settings={"select": ("OWN501",), "jwt_algorithms": ("HS384", "HS512")},
        ),
        Case(
            id="the none algorithm is allowed",
            source="""
            from jose import jwt

            def decode(token: str, key: str) -> dict:
                return jwt.decode(token, key, algorithms=["HS256", "none"])
            """,
        ),
        Case(
            id="symmetric and asymmetric families mixed through a module constant",
            source="""
            import jwt

            ALGORITHMS = ["HS256", "RS256"]

            def decode(token: str, key: str) -> dict:
                return jwt.decode(token, key, algorithms=ALGORITHMS)
            """,
        ),
        Case(
            id="python-jose ALGORITHMS.SUPPORTED mixes every family",
            source="""
            from jose import jwt
            from jose.constants import ALGORITHMS

            def decode(token: str, key: str) -> dict:
                return jwt.decode(token, key, algorithms=ALGORITHMS.SUPPORTED)
            """,
        ),
    )


def _missing(ctx: ModuleContext, call: JwtCall, given_none: ast.expr | None) -> Violation:
    value = "[" + ", ".join(quote(name) for name in ctx.settings.jwt_algorithms) + "]"
    if given_none is None:
        action = AddKeywordArgument(span_of(ctx.locator, call.node), "algorithms", value)
    else:
        action = ReplaceExpression(span_of(ctx.locator, given_none), value)
    return Violation(
        node=call.node,
        message=f"`{call.written}` is called without `algorithms=`: the token's own `alg` header is not pinned",
        fix=FixPlan(title=f"Add `algorithms={value}`", actions=(action,)),
    )


def _unsafe_list(call: JwtCall, names: list[str]) -> str | None:
    if any(name.lower() == "none" for name in names):
        return f"`{call.written}` accepts the `none` algorithm: unsigned tokens verify"
    symmetric = [n for n in names if n.upper().startswith("HS")]
    asymmetric = [n for n in names if n.upper().startswith(_ASYMMETRIC_PREFIXES)]
    if symmetric and asymmetric:
        return (
            f"`{call.written}` mixes symmetric ({', '.join(symmetric)}) and asymmetric "
            f"({', '.join(asymmetric)}) algorithms: algorithm confusion lets a public key verify "
            "a forged HMAC token"
        )
    return None


def _algorithm_names(
    ctx: ModuleContext, function: Function | None, expr: ast.expr, depth: int = 0
) -> list[str]:
    """The algorithm names an allow-list is known to hold (unknown elements are left out)."""
    if depth > _MAX_DEPTH:
        return []
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return [name for element in expr.elts for name in _algorithm_names(ctx, function, element, depth + 1)]
    group = _jose_constant(ctx, expr)
    if group is not None:
        return list(group)
    return [
        name
        for _module, value, scope in binding_values(ctx, function, expr)
        for name in _algorithm_names(ctx, scope, value, depth + 1)
    ]


def _jose_constant(ctx: ModuleContext, expr: ast.expr) -> tuple[str, ...] | None:
    """``ALGORITHMS.HS256`` -> ("HS256",); ``ALGORITHMS.SUPPORTED`` -> every family."""
    if not isinstance(expr, ast.Attribute):
        return None
    qualname = ctx.index.qualname(ctx.module, expr.value) or ""
    if not (qualname.startswith("jose.") and qualname.endswith(".ALGORITHMS")):
        return None
    return _JOSE_GROUPS.get(expr.attr, (expr.attr,))


def _signature_unchecked(ctx: ModuleContext, function: Function | None, call: JwtCall) -> bool:
    return any(check.option in ("verify_signature", "verify") for check in disabled_checks(ctx, function, call))


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None
