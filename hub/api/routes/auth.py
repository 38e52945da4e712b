"""POST /auth/token: the OAuth2 password flow returning a JWT with the user's role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from hub.api.deps import CurrentUser, SessionDep, SettingsDep
from hub.models.users import Role, Token, UserPublic
from hub.security import create_access_token
from hub.services.users import authenticate

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """Exchange username and password for a bearer token."""
    user = authenticate(session=session, username=form.username, password=form.password)
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="wrong username or password, or user disabled",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = create_access_token(
        username=user.username,
        role=user.role,
        secret=settings.secret_key.get_secret_value(),
        minutes=settings.access_token_minutes,
    )
    return Token(
        access_token=token, role=Role(user.role), expires_in=settings.access_token_minutes * 60
    )


me_router = APIRouter(prefix="/auth", tags=["auth"])


@me_router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    """The user the token belongs to."""
    return UserPublic.model_validate(user)
