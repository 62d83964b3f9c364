"""TikTok Business API: the platform the exports also reach."""
