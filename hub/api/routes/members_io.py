"""Bulk member import/export, personal data export and erasure (admin only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response, UploadFile, status
from fastapi.responses import JSONResponse

from hub.accounts.audit import record_audit
from hub.api.deps import CipherDep, CurrentUser, SessionDep, require_role
from hub.api.params import IdPath
from hub.errors import InvalidInputError
from hub.members_io import exporter, importer, privacy
from hub.members_io.reading import MAX_BYTES
from hub.models.identity import MemberImportJob
from hub.models.members import MemberPublic
from hub.models.users import Role
from hub.services.common import get_or_404
from hub.services.members import member_public

router = APIRouter(tags=["members import/export"], dependencies=[require_role(Role.ADMIN)])

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _job_json(job: MemberImportJob) -> dict[str, Any]:
    data = job.model_dump(mode="json")
    live = importer.BOARD.get(job.id or 0)
    data["phase"], data["done"] = (live[0], live[1]) if live else (job.status, job.imported)
    data["progress_total"] = live[2] if live else job.total_rows
    return data


@router.post("/member-import", status_code=status.HTTP_202_ACCEPTED)
async def import_members(
    request: Request,
    session: SessionDep,
    cipher: CipherDep,
    user: CurrentUser,
    file: UploadFile,
    tasks: BackgroundTasks,
) -> JSONResponse:
    """Start an import of a CSV/XLSX file; poll the job for progress and the error report."""
    content = await file.read(MAX_BYTES + 1)
    if not content:
        raise InvalidInputError("the file is empty / 文件是空的", field="file")
    job = importer.start_job(session, filename=file.filename or "upload", actor=user.username)
    assert job.id is not None
    tasks.add_task(
        importer.run_import,
        request.app.state.engine,
        cipher,
        job_id=job.id,
        filename=file.filename or "",
        content=content,
        actor=user.username,
    )
    return JSONResponse(_job_json(job), status_code=status.HTTP_202_ACCEPTED)


@router.get("/member-import/{job_id}")
def import_job(session: SessionDep, job_id: IdPath) -> dict[str, Any]:
    """An import job: status, progress, and the row-level error report."""
    return _job_json(get_or_404(session, MemberImportJob, job_id, what="import job"))


@router.get(
    "/member-export",
    response_class=Response,
    responses={
        200: {
            "description": "the members as a file in the import format (an attachment)",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                MEDIA["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def export_members(
    session: SessionDep,
    cipher: CipherDep,
    user: CurrentUser,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
) -> Response:
    """Every active member in the import format (personal data: admin only, audited)."""
    body = (exporter.export_csv if format == "csv" else exporter.export_xlsx)(session, cipher)
    record_audit(
        session,
        actor=user.username,
        action="member.export",
        entity="member",
        entity_id="all",
        note=f"export {format}",
    )
    session.commit()
    return Response(
        body,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="members.{format}"'},
    )


@router.get("/members/{member_id}/personal-data")
def personal_data(
    session: SessionDep, cipher: CipherDep, user: CurrentUser, member_id: IdPath
) -> dict[str, Any]:
    """Everything held about one member (an access request)."""
    data = privacy.personal_data(session=session, cipher=cipher, member_id=member_id)
    record_audit(
        session,
        actor=user.username,
        action="member.personal_data_export",
        entity="member",
        entity_id=member_id,
        member_id=member_id,
    )
    session.commit()
    return data


@router.post("/members/{member_id}/erase", response_model=MemberPublic)
def erase(
    session: SessionDep, cipher: CipherDep, user: CurrentUser, member_id: IdPath
) -> MemberPublic:
    """Erase a member's personal data; money records and totals are kept."""
    member = privacy.erase_member(session=session, member_id=member_id, actor=user.username)
    return member_public(member=member, cipher=cipher)
