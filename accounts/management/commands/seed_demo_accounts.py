"""Create (or reset) the demo accounts admin, engineer and viewer with one shared password."""
import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import Role, User
from accounts.services import user_create, user_update

DEMO_USERS = (("admin", Role.ADMIN), ("engineer", Role.ENGINEER), ("viewer", Role.VIEWER))


def demo_password() -> str:
    """PLATFORM_DEMO_PASSWORD, else the one saved under var/ (owner-only), else a new one saved there."""
    password = os.environ.get("PLATFORM_DEMO_PASSWORD")
    if password:
        return password
    path = settings.VAR_DIR / "demo_password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    path.touch(mode=0o600)
    path.write_text(password)
    path.chmod(0o600)
    return password


class Command(BaseCommand):
    help = "Create the demo accounts admin/engineer/viewer (password from PLATFORM_DEMO_PASSWORD or var/demo_password)."

    def handle(self, *args, **options):
        password = demo_password()
        for username, role in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user_create(username=username, password=password, role=role, email=f"{username}@example.com",
                            validate=False)
            else:
                user_update(user=user, role=role, is_active=True, password=password, validate=False)
        self.stdout.write(f"demo accounts: admin, engineer, viewer; password: {password} "
                          f"(saved in {settings.VAR_DIR / 'demo_password'} unless PLATFORM_DEMO_PASSWORD is set)")
