"""``vstyle studio``: a local web page over the same pipeline as the CLI.

:func:`create_app` builds the FastAPI app from one :class:`Settings`; jobs render
through :func:`vstyle.pipeline.run` on a worker thread, one at a time, each in its
own folder under the jobs folder so a restarted server resumes what was unfinished.
FastAPI, uvicorn and python-multipart come with the ``studio`` extra.
"""

from .settings import STUDIO_EXTRA, Settings

__all__ = ["STUDIO_EXTRA", "Settings", "create_app"]


def create_app(settings: Settings):  # noqa: ANN201 - fastapi is imported only here
    """The studio's FastAPI app (see :mod:`vstyle.studio.app`)."""
    from .app import create_app as create

    return create(settings)
