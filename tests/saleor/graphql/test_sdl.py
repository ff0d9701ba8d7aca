"""The checked-in SDL is what storefront developers codegen against: keep it true."""

from django.core.management import call_command
from saleor.graphql.api import schema

from saleor_storecredit.graphql.sdl import SDL_PATH, added_schema_sdl


def test_checked_in_sdl_matches_the_schema():
    assert SDL_PATH.read_text() == added_schema_sdl(schema), (
        "saleor_storecredit/graphql/schema.graphql is stale: run "
        "`manage.py storecredit_graphql_schema --write`."
    )


def test_sdl_lists_every_store_credit_root_field():
    sdl = SDL_PATH.read_text()
    for name in schema.get_query_type().fields:
        if name.startswith("storeCredit"):
            assert f"  {name}" in sdl
    for name in schema.get_mutation_type().fields:
        if name.startswith("storeCredit"):
            assert f"  {name}" in sdl
    assert "extend type Query" in sdl
    assert "extend type Mutation" in sdl


def test_check_command_passes_on_fresh_file(capsys):
    call_command("storecredit_graphql_schema", "--check")
    assert "up to date" in capsys.readouterr().out
