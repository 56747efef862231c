"""AppSync Lambda authorizer: validate a JWT and map its claims to the caller's entitlements.

The modules other than ``handler`` use only the standard library, PyJWT and
``audit_common``, so the local server can run the same checks in-process.
"""
