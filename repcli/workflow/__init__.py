"""The response workflow: reply templates, drafting, and posting answers to platforms."""
