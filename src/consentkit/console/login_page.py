"""The console's login form (the shell's own page; every other page comes from `console.pages`)."""

from __future__ import annotations

from html import escape


def login_form(base: str, csrf_field: str, csrf_token: str, next_path: str, name: str = "") -> str:
    return (
        f'<form method="post" action="{escape(base)}/login" class="login">'
        f'<input type="hidden" name="{escape(csrf_field)}" value="{escape(csrf_token)}">'
        f'<input type="hidden" name="next" value="{escape(next_path)}">'
        '<p><label for="ck-name">User name</label> '
        f'<input id="ck-name" name="name" autocomplete="username" required maxlength="64" value="{escape(name)}"></p>'
        '<p><label for="ck-password">Password</label> '
        '<input id="ck-password" name="password" type="password" autocomplete="current-password" required '
        'maxlength="1024"></p>'
        '<p><button type="submit">Log in</button></p></form>'
    )
