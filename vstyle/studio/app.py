"""The FastAPI app: the page, the job API and the guards in front of both.

Guards, on every request: with a token, the token (``Authorization: Bearer``, the
``X-Vstyle-Token`` header, a ``token`` query or the cookie the page gets); without
one, a loopback ``Host`` header (a web page that rebinds its name to 127.0.0.1 is
refused). Requests that change anything also need the ``X-Vstyle`` header, which a
cross-site form cannot send. Request bodies are limited to ``max_upload`` bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import threading
from pathlib import Path

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from ..errors import InputError, OptionError
from . import files
from .api import STUDIO_METHODS, JobSpec, Pick
from .jobs import FINAL, Job, JobStore, check_spec
from .settings import Settings

STATIC = Path(__file__).parent / "static"
COOKIE = "vstyle_token"
# Served files are never sniffed into HTML; the page runs its own script only and is
# never framed (clickjacking).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


class BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: refuse a request body over ``limit`` bytes (413), declared or not."""

    def __init__(self, app, limit: int) -> None:  # noqa: ANN001 - an ASGI app
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        seen = 0
        started = False

        async def counting():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        async def sending(message) -> None:  # noqa: ANN001
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, sending)
        except BodyTooLarge:
            if not started:
                await _too_large(send, self.limit)


async def _too_large(send, limit: int) -> None:  # noqa: ANN001
    body = json.dumps({"detail": f"request body is over {limit} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return (
        request.headers.get("x-vstyle-token")
        or request.query_params.get("token")
        or request.cookies.get(COOKIE)
    )


def _host(request: Request) -> str:
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host[: host.find("]") + 1]
    return host.rsplit(":", 1)[0]


def create_app(settings: Settings) -> FastAPI:
    """The studio app for ``settings``; all its state hangs off ``app.state``."""
    store = JobStore(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        store.start()
        try:
            yield
        finally:
            await asyncio.to_thread(store.stop)

    app = FastAPI(title="vstyle studio", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings, app.state.store = settings, store
    app.state.closing = closing = threading.Event()  # set by the server on its way out

    @app.middleware("http")
    async def guard(request: Request, call_next):  # noqa: ANN202
        if settings.token:
            given = _token(request) or ""
            if not hmac.compare_digest(given.encode(), settings.token.encode()):
                return JSONResponse({"detail": "missing or wrong token"}, status_code=401)
        elif _host(request) not in settings.hosts:
            return JSONResponse({"detail": "unknown Host header"}, status_code=403)
        if request.method not in ("GET", "HEAD") and "x-vstyle" not in request.headers:
            detail = "requests that change anything need the X-Vstyle header"
            return JSONResponse({"detail": detail}, status_code=403)
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if settings.token and request.query_params.get("token") and request.url.path == "/":
            response.set_cookie(COOKIE, settings.token, httponly=True, samesite="strict")
        return response

    app.add_middleware(BodyLimit, limit=settings.max_upload)

    @app.exception_handler(InputError)
    @app.exception_handler(OptionError)
    async def refused(request: Request, exc: Exception) -> JSONResponse:
        status = 413 if isinstance(exc, files.UploadTooLarge) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    def job_or_404(job_id: str) -> Job:
        job = store.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return job

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/info")
    def info() -> dict:
        roots = [{"index": i, "name": r.name or str(r)} for i, r in enumerate(settings.allow)]
        return {"roots": roots, "methods": list(STUDIO_METHODS), "max_upload": settings.max_upload,
                "device": settings.device}  # fmt: skip

    @app.get("/api/browse")
    def browse(root: int = 0, path: str = "") -> dict:
        return {"root": root, "path": path, "entries": files.listing(settings.allow, root, path)}

    @app.get("/api/jobs")
    def jobs() -> list[dict]:
        return [j.public() for j in store.listing()]

    @app.post("/api/jobs", status_code=201)
    def create(
        spec: str = Form("{}"),
        input: UploadFile | None = File(None),
        style: UploadFile | None = File(None),
        model: UploadFile | None = File(None),
    ) -> dict:
        try:
            request = JobSpec.model_validate_json(spec)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "spec"
            raise OptionError(f"{where}: {first['msg']}") from None
        job_id, folder = store.folder()
        try:
            names: dict[str, str] = {}
            paths = {
                "input": take(input, request.input_pick, ("video", "picture"), folder, names,
                              "input", copy=False),
                "style": take(style, request.style_pick, ("picture",), folder, names, "style"),
                "model": take(model, request.model_pick, ("model",), folder, names, "model"),
            }  # fmt: skip
            if paths["input"] is None:
                raise InputError("a job needs an input: upload a video or picture, or pick one")
            check_spec(request.model_dump(), paths["style"], paths["model"])
            job = Job(
                id=job_id, folder=folder, spec=request.model_dump(exclude_none=False,
                exclude={"input_pick", "style_pick", "model_pick"}), input=paths["input"],
                style=paths["style"], model=paths["model"], names=names,
                picture=files.kind_of(paths["input"]) == "picture",
            )  # fmt: skip
            store.add(job)
        except BaseException:
            for child in folder.iterdir():
                child.unlink()
            folder.rmdir()
            raise
        return job.public()

    def take(upload: UploadFile | None, picked: Pick | None, kinds: tuple[str, ...],
             folder: Path, names: dict, stem: str, copy: bool = True) -> str | None:  # fmt: skip
        """The server path of one file of a job: saved upload, or checked pick."""
        if upload is not None and picked is not None:
            raise InputError(f"{stem}: upload a file or pick one, not both")
        if upload is not None:
            names[stem] = Path(upload.filename or stem).name[:200]
            limit = settings.max_upload
            return str(files.save_upload(upload.file, upload.filename or "", kinds, folder, stem,
                                         limit))  # fmt: skip
        if picked is not None:
            source = files.pick(settings.allow, picked.root, picked.path, kinds)
            names[stem] = Path(picked.path).name
            if not copy:  # videos stay where they are; re-checked when served
                return str(source)
            return str(files.copy_into(source, folder / f"{stem}{source.suffix.lower()}"))
        return None

    @app.get("/api/jobs/{job_id}")
    def status(job_id: str) -> dict:
        return job_or_404(job_id).public()

    @app.post("/api/jobs/{job_id}/cancel")
    def cancel(job_id: str) -> dict:
        job = job_or_404(job_id)
        if job.state not in FINAL:
            store.cancel(job)
        return job.public()

    @app.delete("/api/jobs/{job_id}", status_code=204)
    def remove(job_id: str) -> Response:
        job = job_or_404(job_id)
        if job.state not in FINAL:
            raise HTTPException(409, f"job {job.id} is {job.state}; cancel it first")
        store.remove(job)
        return Response(status_code=204)

    @app.get("/api/jobs/{job_id}/events")
    async def events(job_id: str, request: Request) -> StreamingResponse:
        job = job_or_404(job_id)
        return sse(request, lambda: job.public(), lambda snap: snap["state"] in FINAL)

    @app.get("/api/events")
    async def all_events(request: Request) -> StreamingResponse:
        return sse(request, lambda: [j.public() for j in store.listing()], lambda snap: False)

    def sse(request: Request, snapshot, final) -> StreamingResponse:  # noqa: ANN001
        async def stream():
            last = None
            while True:
                snap = snapshot()
                if snap != last:
                    yield f"data: {json.dumps(snap)}\n\n"
                    last = snap
                if final(snap) or closing.is_set() or await request.is_disconnected():
                    return
                await asyncio.sleep(0.2)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    def served(job: Job, path: Path, name: str | None = None) -> FileResponse:
        if not path.is_file():
            raise HTTPException(409, f"job {job.id} has no such file yet (state {job.state})")
        disposition = "attachment" if name else "inline"
        headers = {"Cache-Control": "no-store"}
        return FileResponse(
            path, filename=name, content_disposition_type=disposition, headers=headers
        )

    @app.get("/api/jobs/{job_id}/result")
    def result(job_id: str, download: bool = False) -> FileResponse:
        job = job_or_404(job_id)
        if job.state != "done":
            raise HTTPException(409, f"job {job.id} is {job.state}, not done")
        name = f"vstyle-{job.id}{job.output.suffix}" if download else None
        return served(job, job.output, name)

    @app.get("/api/jobs/{job_id}/original")
    def original(job_id: str) -> FileResponse:
        job = job_or_404(job_id)
        path = job.original
        inside_job = path.resolve().is_relative_to(job.folder.resolve())
        if not inside_job and not any(path.resolve().is_relative_to(r) for r in settings.allow):
            raise HTTPException(403, "the original is outside the allowed folders now")
        return served(job, path)

    @app.get("/api/jobs/{job_id}/preview")
    def preview(job_id: str) -> Response:
        job = job_or_404(job_id)
        return served(job, job.folder / "preview.jpg")

    return app
