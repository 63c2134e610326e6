"""The security headers of every answer: the API's JSON, its errors, the pages, static files, the docs, the health
checks.

- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: same-origin` everywhere;
- a Content-Security-Policy on every answer: on a page (and an error page) scripts, styles, images and fonts from
  this site only, no inline script (`PAGE_CSP`); on another HTML answer (the Swagger UI of `/api/docs`, whose one
  inline script starts it) the same but for that script, allowed by its SHA-256 (`docs_csp`); on anything else
  (JSON, CSV, calendars, static files) nothing at all may load or run (`NOTHING_CSP`);
- no `Server` header naming the software (gunicorn writes its own: dualtrack/server.py drops it).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")
"""The pages': everything from this site, no inline script, no framing."""
NOTHING_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""Any answer that is not HTML: a browser shown it runs and loads nothing."""
DOCS_CSP = ("default-src 'none'; script-src 'self'{scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; "
            "object-src 'none'")
"""Swagger UI: its files from this site, its inline start-up script by hash, the API called from this site; it sets
style attributes as it draws (hence inline styles)."""
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_csp(html: str) -> str:
    """The policy of an HTML answer that is not a page: its inline scripts allowed by their hashes, nothing else."""
    hashes = "".join(f" 'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                     for s in _INLINE_SCRIPT.findall(html))
    return DOCS_CSP.format(scripts=hashes)


def security_headers(response: Any, *, page: bool) -> Any:
    """Set the headers every answer carries; `page`: the answer is one of the web's pages (or their error pages)."""
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers.pop("Server", None)
    if response.mimetype != "text/html":
        headers["Content-Security-Policy"] = NOTHING_CSP
    elif page or response.direct_passthrough or response.is_streamed:
        headers["Content-Security-Policy"] = PAGE_CSP
    else:
        headers["Content-Security-Policy"] = docs_csp(response.get_data(as_text=True))
    return response
