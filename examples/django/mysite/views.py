"""Views: a home page, the account page (login required, a POST form that
changes the session) and whoami.json."""
from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods


class ThemeForm(forms.Form):
    theme = forms.ChoiceField(choices=[("light", "Light"), ("dark", "Dark")])


@require_GET
def home(request):
    return render(request, "home.html")


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    """Shows the user and the session's theme; a POST changes the theme."""
    form = ThemeForm(request.POST or None, initial={"theme": request.session.get("theme", "light")})
    if request.method == "POST" and form.is_valid():
        request.session["theme"] = form.cleaned_data["theme"]
        return redirect("account")
    return render(request, "account.html", {"form": form, "theme": request.session.get("theme", "light")})


@require_GET
def whoami(request):
    """What Django saw of the request, for the end-to-end tests."""
    return JsonResponse({
        "user": request.user.get_username() if request.user.is_authenticated else None,
        "is_secure": request.is_secure(),
        "scheme": request.scheme,
        "host": request.get_host(),
        # REMOTE_ADDR as gunicorn set it: the TCP peer, i.e. portcullis.
        "peer_addr": request.peer_addr,
        # REMOTE_ADDR after mysite.middleware: the client's address.
        "remote_addr": request.META["REMOTE_ADDR"],
        "client_ip": request.client_ip,
    })


FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#0c4b33"/></svg>'
)


@require_GET
def favicon(request):
    """The site's icon, served by Django (no static files in this example)."""
    resp = HttpResponse(FAVICON, content_type="image/svg+xml")
    resp["Cache-Control"] = "max-age=86400"
    return resp
