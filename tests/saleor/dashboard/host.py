"""A stand-in for the Saleor Dashboard: the AppBridge host side, on its own origin.

It does what saleor-dashboard's AppFrame does (src/extensions/views/
ViewManifestExtension/components/AppFrame): load the app in a sandboxed iframe
whose URL carries the context (id, saleorApiUrl, theme, customerId/orderId),
post `handshake` with the token on load and again on `notifyReady`, and answer
every action with a `response`. Actions are kept in `window.actions`.
"""

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Stand-in Dashboard</title></head>
<body style="margin:0;background:#f4f4f5">
<iframe id="app" src="{src}" style="width:{width}px;height:{height}px;border:0;background:#fff"
  sandbox="allow-same-origin allow-forms allow-scripts allow-downloads allow-popups"></iframe>
<script>
const frame = document.getElementById("app");
const appOrigin = new URL(frame.src).origin;
const token = {token};
window.actions = [];
const post = event => frame.contentWindow.postMessage(event, appOrigin);
const handshake = () => post({{
  type: "handshake",
  payload: {{ token, version: 1, saleorVersion: "{saleor_version}", dashboardVersion: "stand-in" }},
}});
frame.addEventListener("load", handshake);
window.addEventListener("message", ({{ origin, data }}) => {{
  if (origin !== appOrigin || !data?.type || !data?.payload?.actionId) return;
  window.actions.push(data);
  if (data.type === "notifyReady") handshake();
  if (data.type === "widgetResize") frame.style.height = data.payload.height + "px";
  post({{ type: "response", payload: {{ actionId: data.payload.actionId, ok: true }} }});
}});
</script>
</body></html>"""


class StandInDashboard:
    def __init__(self, saleor_version: str):
        self.saleor_version = saleor_version
        self.html = b""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(owner.html)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.shown = 0

    def show(
        self, app_url: str, token: str, params: dict, width=1000, height=900
    ) -> str:
        """Serve a host page embedding app_url?params with this token; return its URL."""
        src = f"{app_url}?{urlencode(params)}"
        self.html = HOST_PAGE.format(
            src=html.escape(src),
            width=width,
            height=height,
            token=json.dumps(token),
            saleor_version=self.saleor_version,
        ).encode()
        self.shown += 1  # a new URL each time: a real navigation, never a cached page
        return f"{self.url}?page={self.shown}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
