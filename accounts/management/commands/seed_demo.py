"""Everything `make run` seeds: the demo accounts (and, as apps add them, demo data)."""
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Seed the demo accounts and demo data used by `make run`."

    def handle(self, *args, **options):
        call_command("seed_demo_accounts", stdout=self.stdout)
