"""Render jobs: each a folder under the jobs folder, run one at a time by a worker thread.

A job's folder holds ``job.json`` (what was asked and how far it got), the uploads
under generated names, ``work/`` (the optimizer's finished frames, ``--work-dir``),
``preview.jpg`` (the latest finished frame), ``result.*`` and, for videos,
``original.mp4``: the input through ``--method copy`` at the same size, so the page
compares two videos of the same frames, size and codec.

A job left queued or running (the server stopped) is queued again when a server
starts on the same folder; the optimizer resumes from ``work/`` without redoing the
frames finished there.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OptionError, VstyleError
from ..frames import Frame, VideoInfo
from ..options import (
    FastOptions,
    IOOptions,
    OptimOptions,
    Options,
    RuntimeOptions,
    SizeOptions,
    StyleOptions,
    TemporalOptions,
    resolve_method,
)
from ..pipeline import Hooks, run
from ..records import FrameRecord, IterationProgress
from .settings import Settings

log = logging.getLogger(__name__)

JOB_FILE = "job.json"
STATES = ("queued", "running", "done", "failed", "cancelled")
FINAL = ("done", "failed", "cancelled")
PREVIEW_EVERY = 0.4  # seconds between preview pictures (each a JPEG encode)


class JobStopped(Exception):
    """Raised from a hook to end the job's run: cancelled, or the server stopping."""


@dataclass
class Job:
    """One render job: what was asked (``spec``, the files) and how far it got."""

    id: str
    folder: Path
    spec: dict
    input: str
    style: str | None = None
    model: str | None = None
    picture: bool = False
    names: dict = field(default_factory=dict)  # display names of what the client sent
    state: str = "queued"
    created: float = field(default_factory=time.time)
    error: str | None = None
    stage: str = ""
    frames: int = 0
    total: int | None = None
    iteration: int = 0
    iterations: int = 0
    stylized: int = 0  # frames painted in this server's run (the rest came from work/)
    fps: float = 0.0
    eta: float | None = None
    size: tuple[int, int] | None = None
    preview: int = 0  # bumped at each new preview.jpg
    resumed: bool = False
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def output(self) -> Path:
        return self.folder / ("result.png" if self.picture else "result.mp4")

    @property
    def original(self) -> Path:
        return Path(self.input) if self.picture else self.folder / "original.mp4"

    def public(self) -> dict:
        """What the API shows: no server paths."""
        keys = ("id", "spec", "picture", "names", "state", "created", "error", "stage", "frames",
                "total", "iteration", "iterations", "stylized", "fps", "eta", "size", "preview",
                "resumed")  # fmt: skip
        out = {k: getattr(self, k) for k in keys}
        out["progress"] = self.progress()
        return out

    def progress(self) -> float:
        """0 to 1: frames done, the current frame's iterations counted in; 1 only when done
        (the comparison copy is made after the last frame)."""
        if self.state == "done":
            return 1.0
        if not self.total:
            return 0.0
        part = self.iteration / self.iterations if self.iterations else 0.0
        return min(0.99, (self.frames + min(part, 0.99)) / self.total)  # 1: when done

    def save(self) -> None:
        """Write ``job.json`` atomically."""
        data = {k: v for k, v in self.__dict__.items() if k not in ("cancel", "folder")}
        tmp = self.folder / f"{JOB_FILE}.tmp"
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.folder / JOB_FILE)

    @classmethod
    def load(cls, folder: Path) -> Job:
        data = json.loads((folder / JOB_FILE).read_text())
        data["size"] = tuple(data["size"]) if data.get("size") else None
        return cls(folder=folder, **data)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def job_options(job: Job, settings: Settings) -> Options:
    """The pipeline's options for a job (raises OptionError for a bad combination)."""
    spec = job.spec
    method = resolve_method(
        Options(method=spec["method"], fast=FastOptions(model=_path(job.model)))
    ).method
    video_optimize = method == "optimize" and not job.picture
    return Options(
        input=Path(job.input),
        output=job.output,
        method=spec["method"],
        style=StyleOptions(paths=(Path(job.style),) if job.style else ()),
        optim=OptimOptions(iters=spec["iterations"]),
        size=SizeOptions(max_side=spec["max_side"]),
        runtime=RuntimeOptions(device=settings.device),
        io=IOOptions(frames=spec.get("frames"), audio=False),
        temporal=TemporalOptions(
            weight=spec["temporal_weight"],
            work_dir=job.folder / "work" if video_optimize else None,
        ),
        fast=FastOptions(model=_path(job.model), stabilize=spec["stabilize"]),
        overwrite=True,
    )


def _path(text: str | None) -> Path | None:
    return None if text is None else Path(text)


class JobHooks:
    """The pipeline's hooks for one job: progress into the job, a preview, and the stop."""

    def __init__(self, job: Job, stopping: threading.Event, changed: threading.Event) -> None:
        self.job, self.stopping, self.changed = job, stopping, changed
        self.started = time.perf_counter()
        self.session_frames = 0
        self.last_preview = 0.0
        self.last_save = time.perf_counter()

    def hooks(self) -> Hooks:
        return Hooks(self.on_start, self.on_frame, self.on_record, self.on_iteration)

    def check(self) -> None:
        if self.job.cancel.is_set() or self.stopping.is_set():
            raise JobStopped

    def on_start(self, info: VideoInfo, size: tuple[int, int]) -> None:
        self.job.total, self.job.size, self.job.frames = info.frame_count, size, 0
        self.started = time.perf_counter()
        self.changed.set()

    def on_frame(self, frame: Frame) -> None:
        job = self.job
        job.frames += 1
        self.session_frames += 1
        now = time.perf_counter()
        job.fps = self.session_frames / max(now - self.started, 1e-6)
        job.eta = (job.total - job.frames) / job.fps if job.total and job.fps else None
        job.iteration = 0
        if now - self.last_preview >= PREVIEW_EVERY or job.frames == job.total:
            self.write_preview(frame)
            self.last_preview = now
        if now - self.last_save >= 2.0:
            job.save()
            self.last_save = now
        self.changed.set()
        self.check()

    def on_record(self, record: FrameRecord) -> None:
        self.job.stylized += 1

    def on_iteration(self, event: IterationProgress) -> None:
        self.job.iteration, self.job.iterations = event.iteration, event.total
        self.changed.set()
        self.check()

    def write_preview(self, frame: Frame) -> None:
        import cv2

        ok, data = cv2.imencode(".jpg", frame.rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
        if ok:
            tmp = self.job.folder / "preview.jpg.tmp"
            tmp.write_bytes(data.tobytes())
            os.replace(tmp, self.job.folder / "preview.jpg")
            self.job.preview += 1


class JobStore:
    """Every job of one jobs folder, and the worker thread that runs them in order."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.jobs_dir
        self.root.mkdir(parents=True, exist_ok=True)
        self.jobs: dict[str, Job] = {}
        self.lock = threading.Lock()
        self.queue: queue.Queue[str] = queue.Queue()
        self.stopping = threading.Event()
        self.changed = threading.Event()  # set at every change, for the event streams
        self.thread: threading.Thread | None = None
        self.load()

    def load(self) -> None:
        """Read every job folder; queue again the ones left unfinished, oldest first."""
        found = []
        for folder in sorted(self.root.iterdir()):
            if (folder / JOB_FILE).is_file():
                try:
                    found.append(Job.load(folder))
                except (OSError, ValueError, TypeError) as exc:
                    log.warning("job folder %s is unreadable and left alone: %s", folder, exc)
        for job in sorted(found, key=lambda j: j.created):
            self.jobs[job.id] = job
            if job.state in ("queued", "running"):
                job.state, job.resumed, job.stage = "queued", True, ""
                job.save()
                self.queue.put(job.id)

    def folder(self) -> tuple[str, Path]:
        """A new job's id and folder."""
        job_id = new_id()
        folder = self.root / job_id
        folder.mkdir()
        return job_id, folder

    def add(self, job: Job) -> None:
        job_options(job, self.settings)  # a bad combination is refused before queueing
        job.save()
        with self.lock:
            self.jobs[job.id] = job
        self.queue.put(job.id)
        self.changed.set()

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def listing(self) -> list[Job]:
        return sorted(self.jobs.values(), key=lambda j: j.created, reverse=True)

    def cancel(self, job: Job) -> None:
        job.cancel.set()
        if job.state == "queued":
            self.finish(job, "cancelled")

    def remove(self, job: Job) -> None:
        """Forget a finished job and delete its folder (uploads, work, results)."""
        with self.lock:
            self.jobs.pop(job.id, None)
        shutil.rmtree(job.folder, ignore_errors=True)
        self.changed.set()

    def finish(self, job: Job, state: str, error: str | None = None) -> None:
        job.state, job.error, job.stage, job.eta = state, error, "", None
        job.save()
        self.changed.set()

    # The worker thread.
    def start(self) -> None:
        self.thread = threading.Thread(target=self.work, name="vstyle-studio-worker", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the frame in flight; the job stays queued for the next server."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def work(self) -> None:
        while not self.stopping.is_set():
            try:
                job = self.jobs.get(self.queue.get(timeout=0.1))
            except queue.Empty:
                continue
            if job is not None and job.state == "queued" and not job.cancel.is_set():
                self.run(job)

    def run(self, job: Job) -> None:
        """Render one job, then (videos) its comparison copy of the input."""
        job.state, job.stage, job.error = "running", "starting", None
        job.stylized, job.iteration = 0, 0
        job.save()
        self.changed.set()
        progress = JobHooks(job, self.stopping, self.changed)
        try:
            options = job_options(job, self.settings)
            job.stage = "rendering"
            run(options, progress.hooks())
            if not job.picture:
                job.stage = "finishing"
                self.changed.set()
                run(compare_options(options, job), Hooks(on_frame=lambda f: progress.check()))
        except JobStopped:
            if job.cancel.is_set():
                self.finish(job, "cancelled")
            else:  # the server is stopping: the next one resumes it
                job.state, job.stage = "queued", ""
                job.save()
        except (VstyleError, OSError) as exc:
            self.finish(job, "failed", str(exc))
        except Exception as exc:  # a bug: the job fails, the server stays up
            log.exception("job %s failed", job.id)
            self.finish(job, "failed", f"{type(exc).__name__}: {exc}")
        else:
            self.finish(job, "done")


def compare_options(options: Options, job: Job) -> Options:
    """The input through ``--method copy`` at the processing size, for the comparison."""
    return Options(
        input=options.input,
        output=job.original,
        method="copy",
        size=options.size,
        io=options.io,
        overwrite=True,
    )


def check_spec(spec: dict, style: str | None, model: str | None) -> None:
    """Refuse a job that cannot run before anything is queued."""
    method = spec["method"]
    if style is None and (method in ("optimize", "swap") or (method == "auto" and not model)):
        raise OptionError(f"method {method} paints in the style of a picture: add a style")
    if method == "copy" and (model or spec["stabilize"]):
        raise OptionError("method copy leaves frames untouched: drop the model and stabilize")
