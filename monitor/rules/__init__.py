"""Shipped rule packs (data files)."""
