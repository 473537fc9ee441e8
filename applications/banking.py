"""Moved to `grants.banking` (the one bank-account check); migration 0001 of applications still
names the field validators here."""

from grants.banking import validate_bic, validate_iban

__all__ = ["validate_bic", "validate_iban"]
