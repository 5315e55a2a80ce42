"""The referral rules: pure aggregates and values, no Kafka, PostgreSQL or HTTP."""
