"""The conversations in the read-only API: staff read the messages (internal notes too) of the
applications they see behind, within their token's programmes; funders read none."""
