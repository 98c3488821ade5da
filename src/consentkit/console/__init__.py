"""The review console: a web view of the collection log, the ledger and the consent analytics for
privacy teams and site owners, with roles and an access log."""
