"""The campaigns domain: pure rules and aggregates, no infrastructure."""
