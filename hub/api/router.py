"""All /api/v1 routers in one place; each router carries its require_role dependency."""

from __future__ import annotations

from fastapi import APIRouter

from hub.api.deps import require_role
from hub.api.routes import auth, dishes, members, menus, set_meals, sites, sync, tracking, users
from hub.api.routes.accounts import router as accounts_router
from hub.api.routes.analytics import router as analytics_router
from hub.api.routes.crm import router as crm_router
from hub.api.routes.crm_campaigns import router as crm_campaigns_router
from hub.api.routes.crm_cases import router as crm_cases_router
from hub.api.routes.face import router as face_router
from hub.api.routes.fleet import router as fleet_router
from hub.api.routes.fleet_claim import public_router as fleet_claim_public_router
from hub.api.routes.fleet_claim import router as fleet_claim_router
from hub.api.routes.fleet_ops import router as fleet_ops_router
from hub.api.routes.identity import router as identity_router
from hub.api.routes.member_portal import public_router as member_public_router
from hub.api.routes.member_portal import router as member_router
from hub.api.routes.member_portal import staff_router as member_staff_router
from hub.api.routes.notifications import router as notifications_router
from hub.api.routes.organisations import router as organisations_router
from hub.api.routes.supply import router as supply_router
from hub.api.routes.supply_bookings import router as supply_bookings_router
from hub.api.routes.supply_forecast import router as supply_forecast_router
from hub.api.routes.surveys import member_router as member_surveys_router
from hub.api.routes.surveys import router as surveys_router
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
api_router.include_router(fleet_ops_router)
api_router.include_router(fleet_claim_public_router)
api_router.include_router(fleet_claim_router)
api_router.include_router(analytics_router)
api_router.include_router(face_router)  # face-ID consent and templates (issue 18)
api_router.include_router(crm_router)  # members, tags, rules, segments, scores (issue 13)
api_router.include_router(crm_cases_router)  # complaints, satisfaction, staff (issue 13)
api_router.include_router(notifications_router)  # outbox, delivery log (issue 19)
api_router.include_router(crm_campaigns_router)  # campaigns, automations (issue 13)
api_router.include_router(supply_router)
api_router.include_router(supply_bookings_router)  # meal pre-booking (issue 17)
api_router.include_router(supply_forecast_router)  # demand forecast (issue 17)
api_router.include_router(member_public_router)  # member web page sign-in (issue 19)
api_router.include_router(member_router)  # /me: the member's own data, member session only
api_router.include_router(member_surveys_router)  # /me/surveys: dish votes, short surveys
api_router.include_router(surveys_router)  # managers make surveys, read results (issue 19)
api_router.include_router(member_staff_router)  # erasure requests from the member web page
