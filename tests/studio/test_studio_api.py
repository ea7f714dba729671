"""The studio's job API through FastAPI's TestClient: create, progress, cancel, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.io.io_clips import probe

pytest.importorskip(
    "fastapi", reason="the studio extra is not installed: pip install 'vstyle[studio]'"
)
pytest.importorskip("multipart", reason="python-multipart (the studio extra) is not installed")

from vstyle.studio.jobs import JOB_FILE

from .conftest import upload, wait_for

COPY = json.dumps({"method": "copy", "max_side": 32})


def events(client, job_id: str) -> list[dict]:
    """Every server-sent event of a job, to its end."""
    with client.stream("GET", f"/api/jobs/{job_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = list(response.iter_lines())
    return [json.loads(line[5:]) for line in lines if line.startswith("data:")]


def test_copy_job_streams_progress_to_done_and_serves_both_videos(client_for, clip) -> None:
    client = client_for()
    created = upload(client, COPY, input=clip)
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["state"] in ("queued", "running") and job["names"] == {"input": "clip.mp4"}
    seen = events(client, job["id"])
    assert seen[-1]["state"] == "done" and seen[-1]["progress"] == 1.0
    assert seen[-1]["frames"] == seen[-1]["total"] == 8 and seen[-1]["size"] == [32, 24]
    frames = [e["frames"] for e in seen]
    assert frames == sorted(frames)
    assert seen[-1]["fps"] > 0 and seen[-1]["preview"] >= 1
    for name in ("result", "original"):
        response = client.get(f"/api/jobs/{job['id']}/{name}")
        assert response.status_code == 200
        path = Path(client.app.state.settings.jobs_dir) / f"{name}.mp4"
        path.write_bytes(response.content)
        video = probe(path)
        assert (video.width, video.height, len(video.rgb)) == (32, 24, 8)
    download = client.get(f"/api/jobs/{job['id']}/result?download=1")
    assert "attachment" in download.headers["content-disposition"]
    assert client.get(f"/api/jobs/{job['id']}/preview").content[:3] == b"\xff\xd8\xff"
    listed = client.get("/api/jobs").json()
    assert [j["id"] for j in listed] == [job["id"]]
    assert all("folder" not in j and "input" not in j for j in listed)  # no server paths
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert client.get("/api/jobs").json() == []
    assert not (client.app.state.settings.jobs_dir / job["id"]).exists()


def test_a_photo_job_returns_a_picture(client_for, write_png, content_rgb) -> None:
    client = client_for()
    photo = write_png("photo.png", content_rgb)
    job = upload(client, COPY, input=photo).json()
    status = wait_for(client, job["id"], lambda s: s["state"] not in ("queued", "running"))
    assert status["state"] == "done", status
    assert status["picture"] is True
    result = client.get(f"/api/jobs/{job['id']}/result")
    assert result.content.startswith(b"\x89PNG")
    assert client.get(f"/api/jobs/{job['id']}/original").content == photo.read_bytes()


def test_result_before_done_is_refused_and_unknown_job_is_404(client_for) -> None:
    client = client_for()
    assert client.get("/api/jobs/0123456789ab").status_code == 404
    assert client.get("/api/jobs/../../etc/passwd/result").status_code == 404


def slow_optimize(frames: int = 10, iterations: int = 2) -> str:
    return json.dumps({"method": "optimize", "max_side": 32, "iterations": iterations,
                       "frames": frames})  # fmt: skip


def test_cancel_stops_a_running_job_and_a_queued_one(client_for, clip, style, tiny_vgg_env) -> None:
    client = client_for()
    running = upload(client, slow_optimize(iterations=5000), input=clip, style=style).json()
    queued = upload(client, COPY, input=clip).json()
    wait_for(client, running["id"], lambda s: s["iteration"] > 0)
    assert client.get(f"/api/jobs/{queued['id']}").json()["state"] == "queued"
    assert client.post(f"/api/jobs/{queued['id']}/cancel").json()["state"] == "cancelled"
    assert client.delete(f"/api/jobs/{running['id']}").status_code == 409  # cancel first
    client.post(f"/api/jobs/{running['id']}/cancel")
    status = wait_for(client, running["id"], lambda s: s["state"] != "running", seconds=30)
    assert status["state"] == "cancelled" and status["frames"] < 8
    assert client.get(f"/api/jobs/{running['id']}/result").status_code == 409
    on_disk = json.loads((client.app.state.settings.jobs_dir / queued["id"] / JOB_FILE).read_text())
    assert on_disk["state"] == "cancelled"  # and it stays so after a restart


def test_a_new_server_resumes_an_unfinished_job_from_its_work_folder(
    client_for, clip, style, tiny_vgg_env, jobs_dir
) -> None:
    first = client_for()
    # 5 iterations a frame: slow enough that the poll sees frame 2 well before the last
    job = upload(first, slow_optimize(frames=8, iterations=5), input=clip, style=style).json()
    wait_for(first, job["id"], lambda s: s["frames"] >= 2)
    first.__exit__(None, None, None)  # the server stops after the frame in flight
    left = json.loads((jobs_dir / job["id"] / JOB_FILE).read_text())
    assert left["state"] == "queued" and 2 <= left["frames"] < 8, left
    work = sorted(p.name for p in (jobs_dir / job["id"] / "work" / "pass1").glob("*.png"))
    assert len(work) >= 2

    second = client_for()
    status = wait_for(second, job["id"], lambda s: s["state"] not in ("queued", "running"))
    assert status["state"] == "done", status
    assert status["resumed"] is True and status["frames"] == 8
    assert status["stylized"] == 8 - len(work)  # the frames in work/ were not painted again


def test_a_fast_job_runs_an_uploaded_model_with_stabilize(client_for, clip, tmp_path) -> None:
    from tests.nets.test_transformer import seeded
    from vstyle.nets.modelfile import ModelInfo, save_model
    from vstyle.nets.transformer import TransformerNet

    vsm = save_model(
        tmp_path / "slim.vsm", seeded(TransformerNet(0.25), 0), ModelInfo("vstyle", 0.25)
    )
    client = client_for()
    spec = json.dumps({"method": "fast", "max_side": 32, "stabilize": True})
    job = upload(client, spec, input=clip, model=vsm)
    assert job.status_code == 201, job.text
    status = wait_for(client, job.json()["id"], lambda s: s["state"] not in ("queued", "running"))
    assert status["state"] == "done", status
    assert status["stylized"] == status["frames"] == 8
    folder = client.app.state.settings.jobs_dir / status["id"]
    painted, original = probe(folder / "result.mp4"), probe(folder / "original.mp4")
    difference = sum(
        abs(a.astype(int) - b.astype(int)).mean()
        for a, b in zip(painted.rgb, original.rgb, strict=True)
    )
    assert difference > 8 * 5  # the model painted the frames; the original is the input


def test_a_model_upload_must_be_a_model(client_for, clip, tmp_path) -> None:
    fake = tmp_path / "fake.vsm"
    fake.write_bytes(b"\x80\x04\x95pickle!" * 4)
    response = upload(client_for(), json.dumps({"method": "fast"}), input=clip, model=fake)
    assert response.status_code == 400 and "does not hold .vsm data" in response.json()["detail"]
