from __future__ import annotations

from django.apps import AppConfig


class ConsentKitConfig(AppConfig):
    name = "consentkit_django"
    label = "consentkit"
    verbose_name = "consentkit"

    def ready(self) -> None:
        from consentkit_django import checks  # noqa: F401 - registers the system checks
