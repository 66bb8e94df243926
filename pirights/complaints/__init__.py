"""Complaints about generated content (SPEC §9): measures, remediation, the subject blocklist."""
