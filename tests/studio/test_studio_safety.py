"""The studio's guards: token, Host, the X-Vstyle header, uploads and allowed folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip(
    "fastapi", reason="the studio extra is not installed: pip install 'vstyle[studio]'"
)
pytest.importorskip("multipart", reason="python-multipart (the studio extra) is not installed")

from fastapi.testclient import TestClient

from vstyle.errors import OptionError
from vstyle.studio import Settings, create_app

from .conftest import BASE, upload

COPY = json.dumps({"method": "copy", "max_side": 32})
TOKEN = "s3cret-token-for-tests"


def test_another_host_needs_a_token(jobs_dir: Path) -> None:
    with pytest.raises(OptionError, match="--token"):
        Settings(jobs_dir=jobs_dir, host="0.0.0.0")
    with pytest.raises(OptionError, match="8 characters"):
        Settings(jobs_dir=jobs_dir, host="0.0.0.0", token="short")


def test_every_request_without_the_token_is_refused(jobs_dir: Path) -> None:
    app = create_app(Settings(jobs_dir=jobs_dir, host="0.0.0.0", token=TOKEN))
    with TestClient(app, base_url="http://192.0.2.7:8765") as client:
        for path in ("/", "/api/jobs", "/api/info", "/static/studio.js", "/api/jobs/x/result"):
            assert client.get(path).status_code == 401, path
        for header, status in (
            ({"Authorization": "Bearer wrong-token"}, 401),
            ({"Authorization": f"Bearer {TOKEN}"}, 200),
            ({"X-Vstyle-Token": TOKEN}, 200),
        ):
            assert client.get("/api/jobs", headers=header).status_code == status, header
        page = client.get(f"/?token={TOKEN}")  # the link the CLI opens sets the cookie
        assert page.status_code == 200 and "vstyle_token" in page.headers["set-cookie"]
        assert client.get("/api/jobs").status_code == 200  # the cookie now carries it


def test_without_a_token_only_loopback_host_names_and_marked_changes_pass(jobs_dir: Path) -> None:
    app = create_app(Settings(jobs_dir=jobs_dir))
    with TestClient(app, base_url="http://evil.example:8765") as rebound:
        assert rebound.get("/api/jobs").status_code == 403
    with TestClient(app, base_url=BASE) as client:
        assert client.get("/api/jobs").status_code == 200
        page = client.get("/")
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        refused = client.post("/api/jobs", data={"spec": COPY})  # no X-Vstyle: a foreign form
        assert refused.status_code == 403 and "X-Vstyle" in refused.json()["detail"]


@pytest.mark.parametrize(
    ("name", "data", "spec", "status", "says"),
    [
        ("clip.exe", b"MZ\x90\x00" * 8, COPY, 400, "is not one of"),
        ("clip.mp4", b"#!/bin/sh\nrm -rf /\n", COPY, 400, "does not hold .mp4 data"),
        ("clip.mp4", b"", COPY, 400, "empty"),
        ("clip.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 5000, COPY, 413, "bytes"),
        ("clip.png", b"\x89PNG\r\n\x1a\n", json.dumps({"iterations": -1}), 400, "iterations"),
        ("clip.png", b"\x89PNG\r\n\x1a\n", json.dumps({"method": "optimse"}), 400, "optimize"),
        ("clip.png", b"\x89PNG\r\n\x1a\n", json.dumps({"method": "optimize"}), 400, "style"),
        ("clip.png", b"\x89PNG\r\n\x1a\n", "{not json", 400, "spec"),
        ("clip.png", b"\x89PNG\r\n\x1a\n", json.dumps({"output": "/etc/x"}), 400, "output"),
    ],
)
def test_bad_uploads_and_specs_are_refused_and_leave_nothing(
    client_for, jobs_dir: Path, name: str, data: bytes, spec: str, status: int, says: str
) -> None:
    client = client_for(max_upload=4096)
    response = client.post("/api/jobs", data={"spec": spec}, files={"input": (name, data)})
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert list(jobs_dir.iterdir()) == [] and client.get("/api/jobs").json() == []


def test_a_job_needs_an_input(client_for) -> None:
    response = client_for().post("/api/jobs", data={"spec": COPY})
    assert response.status_code == 400 and "needs an input" in response.json()["detail"]


def test_an_upload_name_never_reaches_the_disk(client_for, clip, jobs_dir: Path) -> None:
    client = client_for()
    files = {"input": ("../../../outside.mp4", clip.read_bytes())}
    job = client.post("/api/jobs", data={"spec": COPY}, files=files).json()
    assert not (jobs_dir.parent / "outside.mp4").exists()
    # Hidden names are vstyle's own staging temporaries while the job renders.
    videos = {p.name for p in (jobs_dir / job["id"]).iterdir()
              if p.suffix == ".mp4" and not p.name.startswith(".")}  # fmt: skip
    assert "input.mp4" in videos and videos <= {"input.mp4", "original.mp4", "result.mp4"}
    assert job["names"]["input"] == "outside.mp4"


@pytest.fixture
def allowed(tmp_path: Path, clip: Path, style: Path) -> Path:
    """An allowed folder with a clip, a style in a subfolder, and links in and out."""
    root = tmp_path / "allowed"
    (root / "styles").mkdir(parents=True)
    (root / "clip.mp4").write_bytes(clip.read_bytes())
    (root / "styles" / "style.png").write_bytes(style.read_bytes())
    (root / "notes.txt").write_text("not media")
    secret = tmp_path / "secret.png"
    secret.write_bytes(style.read_bytes())
    (root / "out.png").symlink_to(secret)
    (root / "outdir").symlink_to(tmp_path)
    (root / "in.png").symlink_to(root / "styles" / "style.png")
    return root


def test_browsing_lists_allowed_media_only(client_for, allowed: Path) -> None:
    client = client_for(allow=(allowed,))
    assert client.get("/api/info").json()["roots"] == [{"index": 0, "name": "allowed"}]
    entries = client.get("/api/browse", params={"root": 0, "path": ""}).json()["entries"]
    assert [(e["name"], e["kind"]) for e in entries] == [
        ("styles", "folder"), ("clip.mp4", "video"), ("in.png", "picture")]  # fmt: skip
    inner = client.get("/api/browse", params={"root": 0, "path": "styles"}).json()["entries"]
    assert [e["name"] for e in inner] == ["style.png"]


@pytest.mark.parametrize(
    "path",
    [
        "..",
        "../",
        "styles/../..",
        "/etc",
        "/etc/passwd",
        "out.png",
        "outdir",
        "outdir/secret.png",
        "styles/../../secret.png",
        "..\\secret.png",
    ],  # fmt: skip
)
def test_traversal_and_links_out_are_refused(client_for, allowed: Path, path: str) -> None:
    client = client_for(allow=(allowed,))
    listing = client.get("/api/browse", params={"root": 0, "path": path})
    assert listing.status_code == 400, listing.text
    spec = json.dumps({"method": "copy", "input_pick": {"root": 0, "path": path}})
    picked = client.post("/api/jobs", data={"spec": spec})
    assert picked.status_code == 400, picked.text
    assert str(allowed.parent) not in listing.text + picked.text  # no server path in answers


def test_no_allowed_folder_means_nothing_can_be_browsed(client_for) -> None:
    client = client_for()
    assert client.get("/api/browse", params={"root": 0, "path": ""}).status_code == 400
    spec = json.dumps({"method": "copy", "input_pick": {"root": 0, "path": "x.mp4"}})
    assert client.post("/api/jobs", data={"spec": spec}).status_code == 400


def test_a_picked_clip_and_style_render(client_for, allowed: Path, tiny_vgg_env) -> None:
    from .conftest import wait_for

    client = client_for(allow=(allowed,))
    spec = json.dumps({"method": "optimize", "max_side": 32, "iterations": 1, "frames": 2,
                       "input_pick": {"root": 0, "path": "clip.mp4"},
                       "style_pick": {"root": 0, "path": "in.png"}})  # fmt: skip
    job = client.post("/api/jobs", data={"spec": spec})
    assert job.status_code == 201, job.text
    status = wait_for(client, job.json()["id"], lambda s: s["state"] not in ("queued", "running"))
    assert status["state"] == "done" and status["frames"] == 2, status
    assert status["names"] == {"input": "clip.mp4", "style": "in.png"}
    assert upload  # the upload helper is shared with the API tests
