"""Settings of the example site, meant to run behind portcullis.

Everything that differs between deployments comes from the environment:

  DJANGO_SECRET_KEY        required; the site refuses to start without it
  DJANGO_ALLOWED_HOSTS     required; comma-separated host names (app.example.com)
  DJANGO_DB_PATH           required; the SQLite database file
  DJANGO_CSRF_TRUSTED_ORIGINS
                           optional; comma-separated other origins allowed to
                           POST, written "https://sso.example.com" or
                           "sso.example.com" (".example.com" or
                           "https://*.example.com": every subdomain): either
                           spelling works on Django 3.2 (host names) and on
                           4.0+ (scheme://host). List them in portcullis's
                           cross_origin.trusted_origins too: it refuses
                           cross-origin POSTs before Django sees them.
  DJANGO_TRUSTED_PROXIES   optional; comma-separated IP addresses or CIDR
                           prefixes of the proxy in front (portcullis), whose
                           X-Forwarded-For gives the client's address (see
                           mysite.middleware). Empty: REMOTE_ADDR is kept.

The security settings that portcullis takes care of at the edge
(SESSION_COOKIE_SECURE, CSRF_COOKIE_SECURE, SECURE_HSTS_SECONDS,
SECURE_SSL_REDIRECT...) are deliberately left at Django's defaults:
docs/django.md in the portcullis repository explains each one.
"""
import ipaddress
import os
from pathlib import Path

import django
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def _required(name):
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"the environment variable {name} is not set (see mysite/settings.py)")
    return value


def _list(name):
    return [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]


def _csrf_trusted_origins(values):
    """Django 3.2 wants host names ("sso.example.com", ".example.com" for
    every subdomain); 4.0+ wants origins ("https://sso.example.com",
    "https://*.example.com") and refuses host names. Accept both."""
    out = []
    for v in values:
        scheme, sep, host = v.partition("://")
        if not sep:
            scheme, host = "https", v
        if django.VERSION >= (4, 0):
            if host.startswith("."):
                host = "*" + host
            out.append(f"{scheme}://{host}")
        else:
            out.append(host[1:] if host.startswith("*.") else host)
    return out


def _networks(name):
    nets = []
    for v in _list(name):
        try:
            nets.append(ipaddress.ip_network(v, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {v!r} is not an IP address or CIDR prefix") from None
    return nets


SECRET_KEY = _required("DJANGO_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("the environment variable DJANGO_ALLOWED_HOSTS is not set (see mysite/settings.py)")
CSRF_TRUSTED_ORIGINS = _csrf_trusted_origins(_list("DJANGO_CSRF_TRUSTED_ORIGINS"))

# Used by mysite.middleware.TrustedProxyMiddleware.
TRUSTED_PROXIES = _networks("DJANGO_TRUSTED_PROXIES")

# portcullis terminates TLS and sets X-Forwarded-Proto (removing any the
# client sent), so request.is_secure() is true for HTTPS requests. Safe only
# because Django is reachable from portcullis alone (gunicorn on 127.0.0.1).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "mysite",  # for the ensureuser management command
]

MIDDLEWARE = [
    "mysite.middleware.TrustedProxyMiddleware",
    # The list `django-admin startproject` generates:
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mysite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "mysite.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _required("DJANGO_DB_PATH"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "account"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# With DEBUG off Django logs refused requests nowhere by default; send its
# warnings (CSRF failures with their reason, disallowed hosts) to standard
# error, which gunicorn keeps in its log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django": {"handlers": ["stderr"], "level": "WARNING"}},
}
