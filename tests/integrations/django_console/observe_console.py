"""Drives the console in the Django admin with Django's test client (CSRF enforced) and prints what
it saw as JSON, for tests/integrations/test_django_console.py to check."""

import json
import os
import re

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "dj_console_settings"
django.setup()

from django.contrib.auth.models import Permission, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from consentkit_django import conf  # noqa: E402

call_command("migrate", verbosity=0)
seen: dict[str, object] = {}
seen["permissions"] = sorted(Permission.objects.filter(content_type__app_label="consentkit")
                             .values_list("codename", flat=True))
PAGES = ["overview", "log", "subjects", "retention"]


def staff(name: str, *codenames: str, is_staff: bool = True) -> Client:
    user = User.objects.create_user(name, password="pw-" + name, is_staff=is_staff)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=name, password="pw-" + name)
    return client


if os.environ.get("CK_CONSOLE_PAGES") == "own":
    from consentkit.console.pages import PAGES as OWN

    for name, perms in [("vera", ("view_console",)), ("rex", ("review_console",)), ("olga", ("officer_console",))]:
        client = staff(name, *perms)
        seen[name] = {p.path: client.get(f"/admin/consentkit{p.path}").status_code for p in OWN}
    conf.reset()
    print(json.dumps(seen))
    raise SystemExit(0)

anonymous = Client(enforce_csrf_checks=True).get("/admin/consentkit/overview")
seen["anonymous"] = [anonymous.status_code, anonymous.get("Location", "")]
for name, perms, is_staff in [("nobody", (), True), ("outsider", ("officer_console",), False),
                              ("vera", ("view_console",), True), ("rex", ("review_console",), True),
                              ("olga", ("officer_console", "view_console"), True)]:
    client = staff(name, *perms, is_staff=is_staff)
    seen[name] = {page: client.get(f"/admin/consentkit/{page}").status_code for page in PAGES}
    seen[name + " home"] = client.get("/admin/consentkit/").get("Location", "")

olga = Client(enforce_csrf_checks=True)
olga.login(username="olga", password="pw-olga")
page = olga.get("/admin/consentkit/subjects?subject=vis-7")
seen["headers"] = {h: page.get(h, "") for h in ("Content-Security-Policy", "Referrer-Policy", "Cache-Control")}
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
no_token = olga.post("/admin/consentkit/subjects", {"subject": "vis-7", "confirm": "vis-7"})
seen["post without token"] = no_token.status_code
done = olga.post("/admin/consentkit/subjects", {"subject": "vis-7", "confirm": "vis-7", "csrfmiddlewaretoken": token})
seen["post with token"] = [done.status_code, done.get("Location", "")]
rex = Client(enforce_csrf_checks=True)
rex.login(username="rex", password="pw-rex")
rex_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', rex.get("/admin/consentkit/log").content.decode())
seen["reviewer post to an officer action"] = rex.post(
    "/admin/consentkit/retention", {"csrfmiddlewaretoken": rex_token.group(1) if rex_token else ""}).status_code
seen["access log"] = conf.get_engine().store.query(
    "SELECT user_name, role, action, subject FROM ck_access_log ORDER BY seq")
conf.reset()
print(json.dumps(seen))
