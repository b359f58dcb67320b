"""R as the oracle: refit stored parameters with metafor and clubSandwich (``evidence verify``, the tests)."""
