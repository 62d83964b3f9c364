"""A local stand-in for the subset of the Graph API that the pipeline uses."""
