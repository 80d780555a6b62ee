"""The configuration's references to rules (lint.rules, lint.exceptions), checked against the
rule registry before lint applies them.

iamgate.config reads the file and checks the syntax of each rule id or name; whether the rule
exists, and whether a security rule is waived with a reason and an expiry date, needs the
registry (every rule module, and with them the delegation proofs and the catalog), which sits
above the configuration. A run whose findings all come from the result cache must not import
all of that to re-check references that have not changed, so references that passed are
remembered in .iamgate_cache/, keyed by what was checked and iamgate's code fingerprint (a
rule added, renamed or made a security rule makes the key new).
"""

from __future__ import annotations

from iamgate.config import Config, ConfigError, weakens

_NAME = "rule-references-{key}"
KEPT = 16


def check_rule_references(config: Config, *, cache: bool = False) -> None:
    """ConfigError (exit 2), located at the entry, for a reference to a rule that does not
    exist or a security rule turned off, lowered or excepted without a reason and an expiry.
    lint.rules is checked as read from the file (``rule_entries``): ``rules`` alone, as a
    Config built in code sets it, has no place to point at."""
    entries, exceptions = config.rule_entries, config.exceptions
    if not entries and not exceptions:
        return
    name = ""
    if cache:
        from iamgate import cache_store  # and hashlib: --no-cache need not import them

        checked = [(e.rule, e.level, bool(e.reason), e.expires is not None) for e in entries]
        checked += [(x.rule, "exception", True, x.expires is not None) for x in exceptions]
        key = cache_store.sha(cache_store.code_fingerprint(), repr(checked))
        name = _NAME.format(key=key)
        if cache_store.read(cache_store.folder(config.root), name) is not None:
            return
    _check(config)
    if name:
        from iamgate import cache_store

        folder = cache_store.folder(config.root)
        if cache_store.write(folder, name, b""):
            cache_store.evict(folder, "rule-references-", KEPT)


def _check(config: Config) -> None:
    from iamgate.rules import rule_by_name

    for entry in config.rule_entries:
        where = (config.file, entry.line or None, entry.column or None)
        rule = rule_by_name(entry.rule)
        if rule is None:
            raise ConfigError(
                f"lint.rules: unknown rule '{entry.rule}' (see `iamgate rules` for the list)",
                *where,
            )
        waived = entry.reason and entry.expires
        if rule.security and weakens(entry.level, rule.severity) and not waived:
            what = "turning off" if entry.level == "off" else f"lowering to {entry.level}"
            raise ConfigError(
                f"lint.rules: {what} the security rule {rule.id} ({rule.name}) needs a "
                f"reason and an expiry date: write {entry.rule}: {{level: {entry.level}, "
                'reason: "why", expires: YYYY-MM-DD}',
                *where,
            )
    for exception in config.exceptions:
        where = (config.file, exception.line or None, exception.column or None)
        rule = rule_by_name(exception.rule)
        if rule is None:
            raise ConfigError(f"lint.exceptions: unknown rule '{exception.rule}'", *where)
        if rule.security and exception.expires is None:
            raise ConfigError(
                f"lint.exceptions: an exception to the security rule {rule.id} ({rule.name}) "
                "needs an expiry date (expires: YYYY-MM-DD) besides its reason",
                *where,
            )
