from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Print the SDL of the store-credit additions to Saleor's GraphQL schema; "
        "--write updates the checked-in saleor_storecredit/graphql/schema.graphql, "
        "--check fails when it is stale."
    )

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--write", action="store_true", help="Update the file.")
        group.add_argument(
            "--check", action="store_true", help="Fail if the file is stale."
        )

    def handle(self, *args, write=False, check=False, **options):
        from saleor.graphql.api import schema

        from ...graphql.sdl import SDL_PATH, added_schema_sdl

        sdl = added_schema_sdl(schema)
        if write:
            SDL_PATH.write_text(sdl)
            self.stdout.write(f"Wrote {SDL_PATH}")
        elif check:
            if not SDL_PATH.exists() or SDL_PATH.read_text() != sdl:
                raise CommandError(
                    f"{SDL_PATH} is stale: run storecredit_graphql_schema --write."
                )
            self.stdout.write("The checked-in schema is up to date.")
        else:
            self.stdout.write(sdl, ending="")
