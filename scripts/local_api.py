"""The GraphQL API as `make local` serves it: the JWT authorizer in front, as on AppSync.

Run with `uvicorn local_api:create_app --factory`, with functions/common,
functions/graphql_api, functions/authorizer and scripts/ on PYTHONPATH and
the settings of both functions in the environment. Each request's
Authorization header goes to the authorizer as an AppSync authorizer event.
"""

from __future__ import annotations

from typing import Any

from authorizer.authorize import Authorizer
from authorizer.settings import load_settings
from graphql_api.server import create_app as create_graphql_app


def create_app() -> Any:
    authorizer = Authorizer(load_settings())
    return create_graphql_app(authorize=authorizer.authorize_event)
