"""manage.py ensureuser: creates the user DJANGO_USER with the password
DJANGO_PASSWORD, or sets the password of an existing one."""
import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the user $DJANGO_USER with the password $DJANGO_PASSWORD (or reset its password)."

    def handle(self, *args, **options):
        username = os.environ.get("DJANGO_USER", "")
        password = os.environ.get("DJANGO_PASSWORD", "")
        if not username or not password:
            raise CommandError("set DJANGO_USER and DJANGO_PASSWORD")
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.save()
        self.stdout.write(f"{'created' if created else 'updated'} user {username}")
