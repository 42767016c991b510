"""Whole conversations across the domain packages (routing, touchpoints): erasure and retention."""
