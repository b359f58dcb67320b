"""``evidence serve [--host H] [--port P]``: the app for local use (werkzeug's server)."""

from __future__ import annotations

import os

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--debug", is_flag=True, default=False,
              help="Reload on code changes and show tracebacks (never in public).")
def serve_command(host, port, debug):
    """Run the web app for local use (for production, use gunicorn with evidence.app:create_app())."""
    from ..app import create_app
    from ..config import load_settings

    settings = load_settings()
    if host in ("127.0.0.1", "localhost", "::1") and not os.environ.get("EVIDENCE_SECURE_COOKIES"):
        settings = settings.with_(secure_cookies=False)  # a local http:// server: the login must work there
    if not settings.index_dir.exists():
        click.echo(f"No search index at {settings.index_dir}: run `evidence build` first.", err=True)
    app = create_app(settings)
    click.echo(f"Serving on http://{host}:{port}/ (Ctrl+C to stop)")
    app.run(host=host, port=port, debug=debug, use_reloader=debug)
