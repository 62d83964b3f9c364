"""``audience-export bench``: the preparation stage against the obvious script."""
