"""The merge-triggered pipeline: Organizations discovery, plan, apply, drift."""
