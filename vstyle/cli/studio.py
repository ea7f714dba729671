"""``vstyle studio``: serve the local page (:mod:`vstyle.studio`) under uvicorn."""

from __future__ import annotations

import threading
import webbrowser
from typing import Annotated

import typer

from ..errors import OptionError
from ..options import DEVICES
from ..studio.settings import STUDIO_EXTRA
from .app import Opt, P, _one_of, app


@app.command("studio", help="Serve a local web page to pick a style and a video and compare.")
def studio_command(
    host: Annotated[str, Opt(help="Address to bind; other than loopback needs --token.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, Opt(help="Port to listen on.")] = 8765,
    jobs_dir: Annotated[
        P | None,
        Opt(
            help="Uploads, work folders and results; unfinished jobs resume from here "
            "[default: $VSTYLE_HOME/studio]."
        ),
    ] = None,
    no_browser: Annotated[bool, Opt("--no-browser", help="Do not open the page.")] = False,
    token: Annotated[
        str | None, Opt(help="Every request must carry it (needed off loopback).")
    ] = None,
    allow: Annotated[
        list[P], Opt("--allow", help="A folder whose files may be picked (repeat).")
    ] = [],  # noqa: B006
    max_upload_mb: Annotated[int, Opt(help="Largest request, in MiB.")] = 2048,
    device: Annotated[str, Opt(help=_one_of(DEVICES))] = "auto",
) -> None:
    try:
        import uvicorn

        from ..studio.app import create_app
    except ImportError as exc:
        raise OptionError(
            f"vstyle studio needs {exc.name}, which is not installed: {STUDIO_EXTRA}"
        ) from None
    from ..studio import Settings

    if max_upload_mb <= 0:
        raise OptionError(f"--max-upload-mb {max_upload_mb} must be positive")
    if jobs_dir is None:
        from ..nets.weights import cache_dir

        jobs_dir = cache_dir() / "studio"
    settings = Settings(
        jobs_dir=jobs_dir,
        host=host,
        port=port,
        token=token,
        allow=tuple(allow),
        max_upload=max_upload_mb * 1024**2,
        device=device,
    )
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown if ':' not in shown else f'[{shown}]'}:{port}/"
    if token:
        url += f"?token={token}"
    typer.echo(f"vstyle studio on {url} (jobs in {settings.jobs_dir}); Ctrl-C stops", err=True)
    if not no_browser:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    studio = create_app(settings)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: object) -> None:
            studio.state.closing.set()  # ends the open event streams, which never end alone
            super().handle_exit(sig, frame)

    config = uvicorn.Config(
        studio, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5
    )
    Server(config).run()
