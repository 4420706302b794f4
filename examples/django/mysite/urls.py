"""URLs: the stock login and logout views, a page that needs login, and a
JSON endpoint reporting what Django saw of the request; the site's icon
(without one, every browser visit logs a 404 for /favicon.ico)."""
from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", views.account, name="account"),
    path("whoami.json", views.whoami, name="whoami"),
    path("favicon.svg", views.favicon, name="favicon"),
    path("favicon.ico", views.favicon),  # what browsers ask for on pages without a <link rel=icon> (JSON)
]
