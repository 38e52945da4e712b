"""All /api/v1 routers in one place; each router carries its require_role dependency."""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.deps import require_role
from hub.api.routes import auth, dishes, members, menus, set_meals, sites, sync, tracking, users
from hub.api.routes.accounts import router as accounts_router
from hub.api.routes.analytics import router as analytics_router
from hub.api.routes.fleet import router as fleet_router
from hub.api.routes.identity import router as identity_router
from hub.api.routes.organisations import router as organisations_router
from hub.api.routes.sync_conflicts import router as sync_conflicts_router
from hub.models.users import Role

api_router = APIRouter()
api_router.include_router(auth.router)
api_router.include_router(auth.me_router, dependencies=[require_role(*Role)])
api_router.include_router(users.router)
api_router.include_router(organisations_router)
api_router.include_router(sites.router)
api_router.include_router(dishes.router)
api_router.include_router(set_meals.router)
api_router.include_router(menus.router)
api_router.include_router(members.router)
api_router.include_router(sync.router)
api_router.include_router(sync_conflicts_router)
api_router.include_router(tracking.router)
api_router.include_router(identity_router)
api_router.include_router(accounts_router)
api_router.include_router(fleet_router)
api_router.include_router(analytics_router)
