"""/api/v1/docs: a self-contained HTML reference written from the OpenAPI document.

Swagger UI and ReDoc load their JavaScript from a CDN, which the servers
cannot reach; this page needs nothing but the spec. It also explains the
problem types the errors link to (``#problem-<type>``).
"""

from __future__ import annotations

from html import escape

from flask import Blueprint, Response, current_app, url_for

from . import problems

bp = Blueprint("api_docs_page", __name__)
problems.attach(bp)

PROBLEM_TYPES = {
    "invalid-parameter": "A query parameter has a bad value (a number out of range, an unknown method, a "
                         "misspelt name). `errors` names each parameter; `suggestions` lists "
                         "close matches for slugs. Status 400.",
    "unknown-term": "A filter (`intervention`, `target_group`, `outcome`) names no vocabulary term. `errors` names "
                    "the parameter; `suggestions` lists close slugs. Status 404.",
    "not-found": "The id or slug in the path does not exist. `suggestions` lists close matches. Status 404.",
    "unknown-release": "`version` names no release and is not the current dataset_version. `available` lists "
                       "every release. Status 404.",
    "unavailable": "The database or search index has not been built. Retry later. Status 503.",
    "release-damaged": "A release's files no longer match the checksums in its manifest. Status 500.",
}


def _schema_text(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "")
    if kind == "array":
        kind = f"list of {_schema_text(schema.get('items', {}))}"
    extras = [f"one of {', '.join(map(str, schema['enum']))}" if "enum" in schema else "",
              f"pattern {schema['pattern']}" if "pattern" in schema else "",
              f"≥ {schema['minimum']}" if "minimum" in schema else "",
              f"≤ {schema['maximum']}" if "maximum" in schema else "",
              f"default {schema['default']}" if "default" in schema else ""]
    return ", ".join(x for x in [kind, *extras] if x)


def _operation(path: str, method: str, op: dict) -> list[str]:
    out = [f'<h3 id="{escape(op.get("operationId", path))}"><span class="m">{method.upper()}</span> '
           f"<code>{escape(path)}</code></h3>", f"<p>{escape(op.get('summary', ''))}</p>"]
    if op.get("description"):
        out.append(f"<p>{escape(op['description'])}</p>")
    params = op.get("parameters", [])
    if params:
        out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>")
        for p in params:
            out.append(f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
                       f"<td>{escape(_schema_text(p.get('schema', {})))}</td>"
                       f"<td>{escape(p.get('description', ''))}</td></tr>")
        out.append("</table>")
    codes = ", ".join(f"{escape(str(code))} {escape(r.get('description', ''))}"
                      for code, r in op.get("responses", {}).items() if isinstance(r, dict))
    out.append(f"<p>Responses: {codes}</p>")
    return out


def page_html(spec: dict, spec_url: str, style_url: str = "/static/css/api-docs.css") -> str:
    """The reference page; styled by a stylesheet file, as the site's CSP (no inline style) requires."""
    info = spec.get("info", {})
    body = [f"<h1>{escape(info.get('title', 'API'))} {escape(str(info.get('version', '')))}</h1>",
            f"<p>{escape(info.get('description', ''))}</p>",
            f'<p>Machine-readable: <a href="{escape(spec_url)}">OpenAPI 3 document</a>. '
            "Every response carries <code>X-Dataset-Version</code>; successful ones a strong "
            "<code>ETag</code> (send <code>If-None-Match</code> for a 304) and <code>Cache-Control</code>. "
            "Any origin may read (CORS). Errors are RFC 9457 problem details "
            "(<code>application/problem+json</code>).</p>", "<h2>Endpoints</h2>"]
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            if method in ("get", "post", "put", "patch", "delete"):
                body.extend(_operation(path, method, op))
    body.append("<h2>Problem types</h2>")
    for kind, text in PROBLEM_TYPES.items():
        body.append(f'<h3 id="problem-{kind}"><code>{kind}</code></h3><p>{escape(text)}</p>')
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(info.get('title', 'API'))}"
            f'</title><link rel="stylesheet" href="{escape(style_url)}"></head><body>{"".join(body)}</body></html>')


@bp.route("/api/v1/docs")
def docs_page():
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    html = page_html(api.spec.to_dict(), url_for("api-docs.openapi_json"),
                     url_for("static", filename="css/api-docs.css"))
    return Response(html, mimetype="text/html")
