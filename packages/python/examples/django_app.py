"""A one-file Django project behind an identity-aware proxy.

Run: TRUSTED_PROXY_*=... python django_app.py migrate && python django_app.py runserver
"""

import os
import sys
import tempfile

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import path

if not settings.configured:
    settings.configure(
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret"),
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.path.join(tempfile.gettempdir(), "trusted-proxy-auth-example.sqlite3"),
            }
        },
        MIDDLEWARE=["trusted_proxy_auth.django.TrustedProxyAuthMiddleware"],
        AUTHENTICATION_BACKENDS=["trusted_proxy_auth.django.TrustedProxyAuthBackend"],
        # Options in code (snake_case) win over the TRUSTED_PROXY_* environment variables.
        TRUSTED_PROXY_AUTH={"options": {}, "create_users": True, "exclude_paths": ["/healthz"]},
    )

# Django's auth reads the settings when imported.
from django.contrib.auth.decorators import login_required


@login_required  # request.user is the backend's user for the verified identity
def me(request: HttpRequest) -> JsonResponse:
    identity = request.trusted_identity  # set by the middleware; typed: trusted_proxy_auth.django.get_identity
    return JsonResponse({"username": request.user.get_username(), "groups": list(identity.groups)})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [path("me", me), path("healthz", healthz)]

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
