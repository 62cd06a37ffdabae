"""Qualified names of the library objects the analysis recognises."""

from __future__ import annotations

ROUTER_CLASSES = frozenset(
    {"fastapi.APIRouter", "fastapi.routing.APIRouter", "fastapi.FastAPI", "fastapi.applications.FastAPI"}
)
ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route"}
)
DEPENDS = frozenset(
    {"fastapi.Depends", "fastapi.params.Depends", "fastapi.param_functions.Depends"}
)
SECURITY = frozenset(
    {"fastapi.Security", "fastapi.params.Security", "fastapi.param_functions.Security"}
)
DEPENDENCY_MARKERS = DEPENDS | SECURITY
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
SECURITY_SCHEMES = frozenset(
    f"fastapi.security.{name}"
    for name in (
        "OAuth2PasswordBearer",
        "OAuth2AuthorizationCodeBearer",
        "OAuth2",
        "OpenIdConnect",
        "HTTPBearer",
        "HTTPBasic",
        "HTTPDigest",
        "APIKeyHeader",
        "APIKeyCookie",
        "APIKeyQuery",
    )
)
JWT_DECODE = frozenset(
    {"jose.jwt.decode", "jwt.decode", "jwt.api_jwt.decode", "jose.jws.verify", "jwt.api_jws.decode"}
)
HTTP_EXCEPTION = frozenset(
    {"fastapi.HTTPException", "fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException"}
)
STATUS_MODULES = frozenset({"fastapi.status", "starlette.status"})
SCALAR_IDENTITY_TYPES = frozenset(
    {"builtins.str", "builtins.int", "uuid.UUID", "pydantic.UUID4", "pydantic.types.UUID4"}
)
SQLMODEL_BASE = frozenset({"sqlmodel.SQLModel", "sqlmodel.main.SQLModel"})
SQLALCHEMY_DECLARATIVE_BASES = frozenset(
    {
        "sqlalchemy.orm.DeclarativeBase",
        "sqlalchemy.orm.DeclarativeBaseNoMeta",
        "sqlalchemy.orm.decl_api.DeclarativeBase",
    }
)
SQLALCHEMY_DECLARATIVE_FACTORIES = frozenset(
    {
        "sqlalchemy.orm.declarative_base",
        "sqlalchemy.ext.declarative.declarative_base",
        "sqlalchemy.orm.decl_api.declarative_base",
        "sqlalchemy.orm.registry.generate_base",
    }
)
SELECT_FUNCTIONS = frozenset(
    {"sqlmodel.select", "sqlalchemy.select", "sqlalchemy.sql.select", "sqlalchemy.future.select",
     "sqlalchemy.sql.expression.select", "sqlmodel.sql.expression.select"}
)
UPDATE_FUNCTIONS = frozenset({"sqlalchemy.update", "sqlmodel.update", "sqlalchemy.sql.update"})
DELETE_FUNCTIONS = frozenset({"sqlalchemy.delete", "sqlmodel.delete", "sqlalchemy.sql.delete"})
