"""The audit trail of SPEC §6: recorder, hash chain, exports, verification, signing."""
