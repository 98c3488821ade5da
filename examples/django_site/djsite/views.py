from pathlib import Path

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from consentkit_django.conf import get_config

TEAS = [("Sencha", "Grassy, bright, from Shizuoka."), ("Assam", "Malty and strong."),
        ("Darjeeling", "Floral first flush."), ("Rooibos", "Caffeine-free, sweet.")]


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def teas(request: HttpRequest) -> HttpResponse:
    return render(request, "teas.html", {"teas": TEAS})


def privacy(request: HttpRequest) -> HttpResponse:
    """Reads the consent in code: what is in effect for this visitor, and why."""
    consent = request.consent
    categories = [
        {"title": c.title, "key": c.key, "required": c.required, "on": consent.allows(c.key)}
        for c in get_config().categories
    ]
    return render(request, "privacy.html", {
        "consent": consent,
        "categories": categories,
        "theme": request.COOKIES.get("theme", "light"),
    })


def theme(request: HttpRequest) -> HttpResponse:
    """Sets the `theme` cookie (category "preferences"): consentkit drops it unless preferences are on."""
    response = HttpResponseRedirect("/privacy")
    response.set_cookie("theme", "dark" if request.GET.get("dark") else "light", max_age=86400 * 30)
    return response


def chat_widget(request: HttpRequest) -> HttpResponse:
    """The stand-in chat provider script the chat config points at."""
    widget = Path(__file__).resolve().parents[2] / "shared" / "chat-widget.js"
    return HttpResponse(widget.read_bytes(), content_type="text/javascript")


def embed(request: HttpRequest) -> HttpResponse:
    """Stands in for a third-party video player, loaded only with "marketing" consent."""
    return HttpResponse(
        "<!doctype html><title>Video</title><body style='margin:0;display:grid;place-items:center;"
        "height:100vh;background:#222;color:#eee;font:1.2rem system-ui'>&#9654; How we pick our teas (video)</body>"
    )
