"""A local stand-in for the subset of the TikTok Business API that the pipeline uses."""
