"""The executable schema: the SDL file AppSync also loads, with Ariadne's bindings."""

from __future__ import annotations

from pathlib import Path

from ariadne import load_schema_from_path, make_executable_schema
from graphql import GraphQLSchema

from graphql_api.resolvers import BINDABLES
from graphql_api.scalars import aws_date_time, aws_json

HERE = Path(__file__).resolve().parent
SCHEMA_FILE = HERE / "schema.graphql"


def build_schema() -> GraphQLSchema:
    type_defs = [
        load_schema_from_path(str(SCHEMA_FILE)),
        load_schema_from_path(str(HERE / "appsync_scalars.graphql")),
    ]
    # convert_names_case: camelCase in GraphQL, snake_case in Python (arguments,
    # input fields, and the dict keys resolvers return).
    return make_executable_schema(
        type_defs, *BINDABLES, aws_date_time, aws_json, convert_names_case=True
    )


schema = build_schema()
