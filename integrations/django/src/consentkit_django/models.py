"""No tables: one unmanaged model that carries the review console's permissions, since Django keeps
permissions per model. `manage.py migrate` creates the three permissions (``consentkit.view_console``,
``consentkit.review_console``, ``consentkit.officer_console``); give them to staff users or groups in
the admin."""

from __future__ import annotations

from django.db import models

CONSOLE_PERMISSIONS = (
    ("officer_console", "officer"),
    ("review_console", "reviewer"),
    ("view_console", "viewer"),
)
"""Permission codename → the console role it grants, highest first."""


class ConsoleAccess(models.Model):
    id = models.BigAutoField(primary_key=True)

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "consentkit console access"
        permissions = [
            ("view_console", "Can open the consentkit console as a viewer (aggregates only)"),
            ("review_console", "Can open the consentkit console as a reviewer (log, ledger, audit)"),
            ("officer_console", "Can open the consentkit console as an officer (export, erase, purge)"),
        ]
