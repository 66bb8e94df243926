"""Staff members, their tokens and role checks."""
