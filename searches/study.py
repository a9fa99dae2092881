"""The Optuna side of a search: RDB storage in the platform's own database, the NSGA-II sampler, the pruner.

The study is stored in the same database as everything else (Optuna's own tables beside Django's), so a crash of
any process loses nothing and `optuna-dashboard <search_storage_url()>` opens the live study. Samplers and pruners
are rebuilt for each call (they hold no state that is not in the storage); the sampler's seed is derived from the
search's seed and the number of trials so far, so a rebuilt sampler does not draw the same genome again.
"""
import logging
import warnings

import optuna
from django.db import connection
from optuna.samplers.nsgaii import BLXAlphaCrossover, SBXCrossover, UniformCrossover
from sqlalchemy.engine import URL

log = logging.getLogger(__name__)
optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

PRUNE_PERCENTILE = 25.0  # "clearly behind": below the first quartile of the peers at the same epoch
PRUNE_STARTUP_TRIALS = 2  # finished peers needed before anything is pruned
SEED_STRIDE = 100_003

_storages: dict[str, optuna.storages.RDBStorage] = {}


def search_storage_url() -> str:
    """The SQLAlchemy URL of Django's default database (the test database under pytest, since this is read live)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    if connection.vendor == "postgresql":
        return URL.create("postgresql+psycopg", username=settings.get("USER") or None,
                          password=settings.get("PASSWORD") or None, host=settings.get("HOST") or None,
                          port=int(settings["PORT"]) if settings.get("PORT") else None,
                          database=settings["NAME"]).render_as_string(hide_password=False)
    raise RuntimeError(f"searches need SQLite or PostgreSQL (the database is {connection.vendor})")


def search_storage() -> optuna.storages.RDBStorage:
    url = search_storage_url()
    if url not in _storages:
        # SQLite: wait for the other processes' writes as Django does (its busy timeout is 30 s too).
        engine_kwargs = {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {"pool_pre_ping": True}
        _storages[url] = optuna.storages.RDBStorage(url, engine_kwargs=engine_kwargs)
    return _storages[url]


def _crossover(name: str):
    with warnings.catch_warnings():  # Optuna marks its crossovers experimental; the search depends on them knowingly
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return {"sbx": SBXCrossover, "blx": BLXAlphaCrossover, "uniform": UniformCrossover}[name]()


def search_sampler(*, params: dict, trials_so_far: int) -> optuna.samplers.NSGAIISampler:
    return optuna.samplers.NSGAIISampler(population_size=params["population"], crossover=_crossover(params["crossover"]),
                                         mutation_prob=params.get("mutation_prob"),
                                         seed=params["seed"] * SEED_STRIDE + trials_so_far)


def search_pruner(*, epochs: int) -> optuna.pruners.BasePruner:
    # Steps are 1-based epochs. Nothing is pruned in the first half of training: early mAP is mostly noise (zero
    # for the first epochs of a small set), and a slow starter is not a weak individual.
    return optuna.pruners.PercentilePruner(PRUNE_PERCENTILE, n_startup_trials=PRUNE_STARTUP_TRIALS,
                                           n_warmup_steps=max(2, (epochs + 1) // 2),
                                           n_min_trials=PRUNE_STARTUP_TRIALS)


def study_directions(objectives: list[str]) -> list[str]:
    return ["maximize" if name == "fitness" else "minimize" for name in objectives]


def study_open(*, name: str, params: dict, trials_so_far: int = 0, create: bool = False) -> optuna.Study:
    sampler = search_sampler(params=params, trials_so_far=trials_so_far)
    pruner = search_pruner(epochs=params["epochs"])
    if create:
        return optuna.create_study(study_name=name, storage=search_storage(), sampler=sampler, pruner=pruner,
                                   directions=study_directions(params["objectives"]), load_if_exists=True)
    return optuna.load_study(study_name=name, storage=search_storage(), sampler=sampler, pruner=pruner)


def study_delete(*, name: str) -> None:
    """Delete the study if it exists (a search cancelled while queued never created one)."""
    if not name:
        return
    try:
        optuna.delete_study(study_name=name, storage=search_storage())
    except KeyError:
        pass
