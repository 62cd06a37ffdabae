import os
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException
from fastapi.security import OAuth2PasswordBearer

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="auth/token")


def get_current_user(token: Annotated[str, Depends(oauth2_scheme)]) -> str:
    unauthorized = HTTPException(
        status_code=401,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )
    try:
        payload = jwt.decode(token, os.environ["BETTER_AUTH_SECRET"], algorithms=["HS256"])
    except jwt.PyJWTError:
        raise unauthorized
    user_id = payload.get("sub")
    if user_id is None:
        raise unauthorized
    return user_id


CurrentUser = Annotated[str, Depends(get_current_user)]
