"""Progress told in one's own words, turned into step-to-work events."""
