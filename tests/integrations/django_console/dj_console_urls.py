from django.contrib import admin
from django.urls import include, path

from consentkit_django.admin_console import ConsoleViews
from console.shell_helpers import PAGES, layout

urlpatterns = [
    path("admin/consentkit/", include(ConsoleViews(PAGES, layout).urls)),
    path("admin/", admin.site.urls),
]
