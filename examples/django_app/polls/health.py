"""Health endpoints for Kubernetes probes and the Application Gateway health probe.

/healthz says the process serves requests (no database: a database outage must not restart every pod);
/readyz says it can do useful work (the database answers). They run before host validation and HTTPS redirects
because probes address the pod by IP over plain HTTP.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT 1")
            except DatabaseError as exc:
                return JsonResponse({"status": "unavailable", "database": type(exc).__name__}, status=503)
            return JsonResponse({"status": "ok", "database": "ok"})
        return self.get_response(request)
