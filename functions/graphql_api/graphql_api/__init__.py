"""The audit log's GraphQL query API: Ariadne resolvers behind AppSync and a local server."""
