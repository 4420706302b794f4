"""A WSGI app that answers the request's HTTP_* environ keys as JSON.

It shows what a Python framework behind portcullis would read as request
headers, after gunicorn has mapped their names (dashes and underscores
both become underscores, so X-Forwarded-For and X_Forwarded_For meet).
"""
import json


def app(environ, start_response):
    seen = {k: v for k, v in environ.items() if k.startswith("HTTP_")}
    body = json.dumps(seen, sort_keys=True).encode()
    start_response("200 OK", [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
    ])
    return [body]
