"""The leaf core: the one Settings, the vocabularies and the JSON Lines reader; imports nothing of ours."""
