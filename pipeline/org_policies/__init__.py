"""Organization policies (SCPs, RCPs): one desired → live → plan → render → apply flow from the
management account, for every policy type iamgate.org_policy_types describes."""
