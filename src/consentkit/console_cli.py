"""The `consentkit console` command: run the review console, or make a user's configuration line."""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from typing import Any

from consentkit.console_settings import USER_NAME


def add_console_commands(sub: Any) -> None:
    c = sub.add_parser("console", help="run the review console (docs/console.md); add-user makes a user")
    c.add_argument("--config", help="config file (TOML); the console needs the site's secret_keys and storage_url")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=8600)
    c.set_defaults(func=cmd_console)
    csub = c.add_subparsers(dest="console_command")
    add = csub.add_parser("add-user", help="hash a password and print the line for console.users")
    add.add_argument("name", help="the user's login name (letters, digits, . _ @ -)")
    add.add_argument("--role", choices=["viewer", "reviewer", "officer"], required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.set_defaults(func=cmd_add_user)


def cmd_console(args: argparse.Namespace) -> int:
    from consentkit.console.serve import serve

    return serve(args.ctx.config(args.config), args.host, args.port)


def cmd_add_user(args: argparse.Namespace) -> int:
    from consentkit.console.users import MAX_PASSWORD, hash_password

    if not re.fullmatch(USER_NAME.strip("^$"), args.name):
        print(f"consentkit console add-user: {args.name!r} is not a user name: 1 to 64 letters, digits, . _ @ -",
              file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if password != getpass.getpass("the same again: "):
            print("consentkit console add-user: the two passwords differ", file=sys.stderr)
            return 1
    if not password or len(password) > MAX_PASSWORD:
        print(f"consentkit console add-user: the password must be 1 to {MAX_PASSWORD} characters", file=sys.stderr)
        return 1
    line = f"{args.name} = {{ role = {json.dumps(args.role)}, password_hash = {json.dumps(hash_password(password))} }}"
    print("add this line under [console.users] in consentkit.toml:", file=sys.stderr)
    print(line)
    return 0
