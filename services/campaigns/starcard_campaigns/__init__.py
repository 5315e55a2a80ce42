"""Starcard campaigns: birthday, anniversary and re-engagement messages on the clock."""
