"""The stages of a scan: discover → analyze → link → probe → rank → report."""
