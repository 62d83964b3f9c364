"""Tests of the TikTok platform and its sandbox."""
