"""The objection register kept by the privacy officer."""
