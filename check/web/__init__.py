"""`barprop serve`: a local web page and JSON API over the checker (Flask, the `web` extra).
The app is `check.web.app.create_app()`; requests are judged by `check.web.service` in worker
processes run by `check.web.runner`."""
