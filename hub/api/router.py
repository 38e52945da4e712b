"""All /api/v1 routers in one place; every one except the token endpoint needs a role."""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.deps import require_role
from hub.api.routes import auth, users
from hub.models.users import Role

api_router = APIRouter()
api_router.include_router(auth.router)
api_router.include_router(auth.me_router, dependencies=[require_role(*Role)])
api_router.include_router(users.router)
