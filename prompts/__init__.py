"""The prompts newsdesk sends to a model, one text file each (read with importlib.resources)."""
