"""IAM managed policies: desired → live → plan → apply in each member account (versions,
boundaries first, ownership proven per account)."""
