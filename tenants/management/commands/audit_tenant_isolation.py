from django.core.management.base import BaseCommand, CommandError

from tenants.selectors import isolation_audit_all_tenants


class Command(BaseCommand):
    help = "Check every shop's schema for ways one shop could read another's data; exit 1 on any finding."

    def handle(self, *args, **options) -> None:
        problems = isolation_audit_all_tenants()
        for problem in problems:
            self.stderr.write(f"FAIL {problem}")
        if problems:
            raise CommandError(f"{len(problems)} isolation problem(s) found")
        self.stdout.write(self.style.SUCCESS("isolation audit passed: no shop can see another's rows"))
