import os

from django.contrib import admin
from django.urls import include, path

from consentkit_django.admin_console import ConsoleViews
from console.shell_helpers import PAGES, layout

# CK_CONSOLE_PAGES=own: the console's own pages, included as docs/console.md says
own = os.environ.get("CK_CONSOLE_PAGES") == "own"
console = "consentkit_django.admin_console" if own else ConsoleViews(PAGES, layout).urls
urlpatterns = [
    path("admin/consentkit/", include(console)),
    path("admin/", admin.site.urls),
]
