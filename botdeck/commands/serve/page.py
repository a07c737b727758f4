"""textual-serve's page, adapted to a run that outlives it.

Its URLs are taken from the address the browser used (the public URL textual-serve
would use is the bind address, say 0.0.0.0), and a script first in its head closes the
socket when the page is left.
"""

from __future__ import annotations

import json

import aiohttp_jinja2
from aiohttp import web

# The page closes its socket when it is left: one kept in the back-forward cache would go
# on answering pings, and a new page would be refused while nobody sees the old one. Once
# closed, its dialog says why: the reason the server gave, else that the bots go on.
_PAGE_SCRIPT = """<script>
(() => {
  const Native = window.WebSocket;
  const open = new Set();
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      open.add(this);
      this.addEventListener("close", (event) => {
        open.delete(this);
        const message = document.querySelector(".closed-dialog .message");
        const button = document.querySelector(".closed-dialog button");
        if (message) message.textContent = event.reason || DISCONNECTED;
        if (button) button.textContent = "Reconnect";
      });
    }
  };
  window.addEventListener("pagehide", () => open.forEach((socket) => socket.close()));
})();
</script>""".replace("DISCONNECTED", json.dumps("Disconnected: the bots are still running."))


def _for_a_run_that_goes_on(page: str) -> str:
    """textual-serve's page with `_PAGE_SCRIPT`, first in its head (before textual.js
    opens the socket)."""
    return page.replace("<head>", "<head>\n" + _PAGE_SCRIPT, 1)


def render_index(request: web.Request) -> web.Response:
    """The page for the address the browser used, with `_PAGE_SCRIPT`."""
    base = f"{request.scheme}://{request.host}"
    static = request.app.router["static"].url_for(filename="/")
    websocket = request.app.router["websocket"].url_for()
    context = {
        "font_size": 16,
        "app_websocket_url": f"ws://{request.host}{websocket}",
        "config": {"static": {"url": f"{base}{static}".rstrip("/") + "/"}},
        "application": {"name": "botdeck"},
    }
    response = aiohttp_jinja2.render_template("app_index.html", request, context)
    response.text = _for_a_run_that_goes_on(response.text or "")
    return response
