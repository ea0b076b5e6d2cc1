"""proofs_check package."""
