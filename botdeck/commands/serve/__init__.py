"""`botdeck serve`: the dashboard in a browser (a tablet, a second laptop) via textual-serve.

textual-serve relays a Textual app's screen and keys between a subprocess and a page over
a websocket, one process per page. botdeck keeps its page, its packet format and its app
service, but the dashboard process (the run) outlives its pages, because a run answers
chat and closing a tab must not cancel the queued replies:

- closing or reloading the page, or a dropped connection (a tablet's Wi-Fi), ends that
  *view*, never the run. With no page the run's output is still read (and discarded), so
  it never blocks on a full pipe, and it is parked at a size no page has;
- a page opened again reattaches: it gets the terminal modes the first page was given,
  then a resize from the parked size to its own, which Textual repaints in full (a resize
  to the size it already has would be ignored), and its keys drive the run again;
- the run ends when the operator quits it on the page (the page says so; the next page
  starts a new run), or when `botdeck serve` is stopped: the dashboard is then sent
  SIGTERM, which drains before it quits, and waited for; Ctrl+C again stops it at once;
- a dashboard that fails closes its screen but its process carries the run on without
  one (`botdeck.tui.run`). No page can show that run, and no second run starts beside
  it (both would answer chat): a new page is told why until it has ended.

Frames from the page are checked before anything reaches the dashboard: one that is not
a known command with the right data is ignored and logged once per kind (never its text,
which may be keystrokes), and the page stays. Only a frame over 16 MiB, which aiohttp
refuses, closes that page's socket; the run goes on. Output goes to a page through a
queue of its own, so a slow page never makes the dashboard wait: one far behind is
dropped.

Who may connect, since the page can drain and stop the bots:

- bound to this machine (127.0.0.1, localhost, ::1, the default) it answers only requests
  addressed to this machine (no DNS rebinding), and websockets only from its own page (no
  other site open in the browser can drive it);
- bound to any other address it requires an access token, printed once at start (or
  taken from $BOTDECK_SERVE_TOKEN, for a bookmark that survives restarts). The printed
  link carries it once; the server answers with an HttpOnly cookie and a redirect to the
  bare address, so the token does not stay in the address bar, and then checks the
  cookie (or `?token=`) on every request, the websocket included;
- one page at a time: a new page waits up to 5 s for the shown one to close (a reload)
  and gets 409 if that one answers a ping (another browser); one that does not answer
  (a connection that died unnoticed) is dropped for the new page. The page closes its
  socket when it is left, even into the back-forward cache.

The access log is off: request URLs may carry the token.
"""
