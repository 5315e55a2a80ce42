"""Starcard's referrals service: links, referral stages, credits and welcome codes."""
