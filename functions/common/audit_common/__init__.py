"""Code shared by the service's Lambda functions: settings and the database connection.

Each function's package bundles this one; it depends only on what every
function already has (pg8000, Powertools).
"""
