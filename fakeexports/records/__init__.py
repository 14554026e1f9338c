"""Record generators of the vendors' result files, one module a vendor."""
