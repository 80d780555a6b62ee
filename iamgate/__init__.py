"""iamgate: prove IAM delegation policies safe, gate commits and PRs, deploy to every account."""

__version__ = "0.2.0"
