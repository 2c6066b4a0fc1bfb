"""Opening what every command needs: the configuration, the archive, the seeds."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .config import Config, load_config
from .errors import ConfigError
from .resources import bundled
from .seeds import load_seed_files
from .storage import atomic_write_bytes
from .store import Store, make_id

SEED_STORY = make_id("story:seeds")


@dataclass
class Workspace:
    config: Config
    store: Store
    notices: list[str]  # things the user should be told once (a config was created...)


def ensure_config(path: Path) -> bool:
    """Create ``path`` from the shipped feeds.yaml if it does not exist; True if created."""
    if path.exists():
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, bundled("feeds.yaml").read_bytes())
    except OSError as exc:
        raise ConfigError([f"{path}: cannot create the configuration file: {exc.strerror or exc}"]) from None
    return True


def load_seeds(store: Store) -> list[str]:
    """Add the shipped seed articles the archive does not have yet (one shared story)."""
    seeds = load_seed_files(bundled("seeds"))
    if all(store.has_article(make_id(seed.key)) for seed in seeds):
        return []  # the usual case, decided without reading the catalog
    return store.add_articles(seeds, story=SEED_STORY)


def open_config(option: str | os.PathLike | None) -> tuple[Config, list[str]]:
    path = paths.config_path(option)
    notices = [f"created {path} from the default feeds; edit it to choose yours"] if ensure_config(path) else []
    return load_config(path), notices


def open_workspace(config_option=None, data_option=None) -> Workspace:
    config, notices = open_config(config_option)
    store = Store(paths.data_dir(data_option))
    if store.migrated:
        schema, backup = store.migrated
        notices.append(f"upgraded the archive in {store.dir} from data schema {schema}; the old files are "
                       f"kept in {backup} (copy them back to use an older caucasus-reader)")
    load_seeds(store)
    return Workspace(config=config, store=store, notices=notices)
